package io.rawio.net;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The socket addresses rawio binds and connects to, as the kernel reads them (include/uapi/linux/in.h,
 * in6.h, un.h). The family is in host order, port and IPv4 address in network order (big-endian).
 *
 * <pre>
 * sockaddr_in  (16 bytes):  0 family u16 | 2 port u16 BE | 4 addr[4] | 8 zero[8]
 * sockaddr_in6 (28 bytes):  0 family u16 | 2 port u16 BE | 4 flowinfo u32 | 8 addr[16] | 24 scope id u32
 * sockaddr_un  (110 bytes): 0 family u16 | 2 path[108], NUL-terminated
 * </pre>
 */
public final class SockaddrDescriptor {
    private SockaddrDescriptor() {
    }

    /** Room for any of them (sockaddr_storage is 128 bytes). */
    public static final int MAX_SIZE = 128;
    public static final int IN_SIZE = 16;
    public static final int IN6_SIZE = 28;
    public static final int UN_SIZE = 110;
    /** The longest Unix socket path, with its NUL. */
    public static final int UN_PATH_MAX = 108;

    private static final ValueLayout.OfShort FAMILY = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfShort PORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** Writes {@code address} into {@code sa} (at least MAX_SIZE bytes); returns its length. */
    public static int encode(MemorySegment sa, InetSocketAddress address) {
        sa.asSlice(0, MAX_SIZE).fill((byte) 0);
        InetAddress ip = address.getAddress();
        if (ip == null) {
            throw new IllegalArgumentException("unresolved address: " + address);
        }
        if (ip instanceof Inet4Address) {
            sa.set(FAMILY, 0, (short) NetConstants.AF_INET);
            sa.set(PORT, 2, (short) address.getPort());
            MemorySegment.copy(ip.getAddress(), 0, sa, ValueLayout.JAVA_BYTE, 4, 4);
            return IN_SIZE;
        }
        Inet6Address ip6 = (Inet6Address) ip;
        sa.set(FAMILY, 0, (short) NetConstants.AF_INET6);
        sa.set(PORT, 2, (short) address.getPort());
        MemorySegment.copy(ip6.getAddress(), 0, sa, ValueLayout.JAVA_BYTE, 8, 16);
        sa.set(ValueLayout.JAVA_INT_UNALIGNED, 24, ip6.getScopeId());
        return IN6_SIZE;
    }

    /** Writes a Unix domain socket address; returns its length. */
    public static int encode(MemorySegment sa, Path unixPath) {
        byte[] p = unixPath.toString().getBytes(StandardCharsets.UTF_8);
        if (p.length >= UN_PATH_MAX) {
            throw new IllegalArgumentException("Unix socket path too long: " + p.length + " bytes, at most "
                    + (UN_PATH_MAX - 1) + ": " + unixPath);
        }
        sa.asSlice(0, MAX_SIZE).fill((byte) 0);
        sa.set(FAMILY, 0, (short) NetConstants.AF_UNIX);
        MemorySegment.copy(p, 0, sa, ValueLayout.JAVA_BYTE, 2, p.length);
        return 2 + p.length + 1;
    }

    public static int family(MemorySegment sa) {
        return sa.get(FAMILY, 0);
    }

    /** The port of an IPv4 or IPv6 address. */
    public static int port(MemorySegment sa) {
        return Short.toUnsignedInt(sa.get(PORT, 2));
    }

    /** An IPv4 or IPv6 address back as Java's. */
    public static InetSocketAddress decode(MemorySegment sa) {
        int family = family(sa);
        try {
            if (family == NetConstants.AF_INET) {
                byte[] a = sa.asSlice(4, 4).toArray(ValueLayout.JAVA_BYTE);
                return new InetSocketAddress(InetAddress.getByAddress(a), port(sa));
            }
            if (family == NetConstants.AF_INET6) {
                byte[] a = sa.asSlice(8, 16).toArray(ValueLayout.JAVA_BYTE);
                return new InetSocketAddress(InetAddress.getByAddress(a), port(sa));
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        throw new IllegalArgumentException("not an IP socket address: family " + family);
    }
}
