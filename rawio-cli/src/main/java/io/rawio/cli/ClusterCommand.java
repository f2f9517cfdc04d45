package io.rawio.cli;

import io.rawio.server.cluster.ClusterCheck;
import io.rawio.server.cluster.ClusterConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rawio cluster}: tools for a static cluster of {@code rawio serve --cluster=FILE} nodes. */
@Command(name = "cluster", description = "Tools for a static Redis Cluster of 'rawio serve --cluster=FILE' nodes.",
        subcommands = {ClusterCommand.Check.class},
        footer = {"", "The cluster file: lines of NAME HOST:PORT SLOTS..., e.g. 'a 127.0.0.1:7001 0-5460' (see the README)."})
public final class ClusterCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help")
    boolean help;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("rawio cluster: a subcommand is required: check (see 'rawio cluster --help')");
        return 2;
    }

    /** {@code rawio cluster check FILE}. */
    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Connect to every node of the cluster FILE and report: the slots no node owns, the nodes"
                    + " that cannot be reached, the keys each node holds, a node that runs another map than FILE, and"
                    + " keys a node holds in slots it does not own (left by an earlier map: resharding is by"
                    + " configuration, change the file and restart every node; rawio does not move those keys yet)."},
            footer = {"", "Exit status: 0 no problem, 1 a problem was found, 2 bad arguments or a bad FILE."})
    static final class Check implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "The cluster file the nodes were started with")
        Path file;

        @Option(names = "--password", paramLabel = "SECRET",
                description = "AUTH with SECRET (the nodes' --requirepass); also RAWIO_PASSWORD")
        String password;

        @Option(names = "--timeout", paramLabel = "MS", defaultValue = "2000",
                description = "Connect and reply timeout per node, in ms (default: ${DEFAULT-VALUE})")
        int timeoutMs;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (timeoutMs < 1) {
                err.println("rawio cluster check: --timeout must be positive: " + timeoutMs);
                return 2;
            }
            ClusterConfig config;
            try {
                config = ClusterConfig.read(file);
            } catch (ClusterConfig.Invalid e) {
                err.println("rawio cluster check: " + e.getMessage());
                return 2;
            }
            String secret = password != null ? password : System.getenv("RAWIO_PASSWORD");
            ClusterCheck.Report r = ClusterCheck.run(file.toString(), config, secret, timeoutMs);
            for (String line : r.lines()) {
                out.println(line);
            }
            out.flush();
            return r.problems() == 0 ? 0 : 1;
        }
    }
}
