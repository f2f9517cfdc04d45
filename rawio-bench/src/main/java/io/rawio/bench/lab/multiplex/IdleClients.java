package io.rawio.bench.lab.multiplex;

import io.rawio.nativeio.Descriptors;
import io.rawio.nativeio.Errno;
import io.rawio.nativeio.ResourceLimit;
import io.rawio.net.NetConstants;
import io.rawio.net.SockaddrDescriptor;
import io.rawio.net.Sockets;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The client ends of the multiplex lab's idle connections, in a process of their own so the lab's
 * RLIMIT_NOFILE holds only the server ends. Commands on stdin, one line each: {@code open N} connects
 * until N are open ("opened N sockets=S"); {@code poke} sends one byte on each ("poked N"); end of
 * input: exit (the connections close with the process).
 */
public final class IdleClients {
    private IdleClients() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        ResourceLimit.raiseOpenFiles();
        int[] fds = new int[0];
        int open = 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(SockaddrDescriptor.MAX_SIZE, 8);
            int saLength = SockaddrDescriptor.encode(sa, new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            MemorySegment one = a.allocate(1);
            one.set(ValueLayout.JAVA_BYTE, 0, (byte) 'i');
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            System.out.println("ready");
            System.out.flush();
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("open ")) {
                    int n = Integer.parseInt(line.substring(5).trim());
                    fds = Arrays.copyOf(fds, Math.max(n, fds.length));
                    String failed = null;
                    while (open < n && failed == null) {
                        int fd = Sockets.socket(NetConstants.AF_INET,
                                NetConstants.SOCK_STREAM | NetConstants.SOCK_CLOEXEC, 0);
                        int r = fd < 0 ? fd : Sockets.connect(fd, sa, saLength);
                        if (r < 0) {
                            failed = (fd < 0 ? "socket" : "connect") + " " + Errno.name(-r) + " after " + open
                                    + " connections";
                            if (fd >= 0) {
                                Sockets.close(fd);
                            }
                        } else {
                            fds[open++] = fd;
                        }
                    }
                    System.out.println(failed != null ? "failed " + failed
                            : "opened " + open + " sockets=" + Descriptors.socketCount());
                } else if (line.equals("poke")) {
                    int poked = 0;
                    for (int i = 0; i < open; i++) {
                        if (Sockets.send(fds[i], one, 1, 0) == 1) {
                            poked++;
                        }
                    }
                    System.out.println("poked " + poked);
                }
                System.out.flush();
            }
        }
    }
}
