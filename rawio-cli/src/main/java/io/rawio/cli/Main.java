package io.rawio.cli;

import io.rawio.cli.store.StoreCommand;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bin/rawio}: the command line. */
@Command(name = "rawio", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Low-latency storage I/O for Linux on the JVM: measure, store, experiment.", ""},
        subcommands = {BenchCommand.class, LabCommand.class, StoreCommand.class, ServeCommand.class, ClusterCommand.class,
            InfoCommand.class},
        footer = {"", "Run 'rawio COMMAND --help' for a command's options.",
            "Exit status: 0 done, 1 failed, 2 bad arguments."})
public final class Main implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--debug", description = "Print stack traces of unexpected errors (also RAWIO_DEBUG=1)")
    boolean debug;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /** The version from the jar manifest, "dev" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"rawio " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ", "
                    + System.getProperty("os.arch") + ")"};
        }
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true,
                StandardCharsets.UTF_8);
        System.exit(run(args, out, err));
    }

    /** Runs the command line; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(new Main());
        PrintWriter o = new PrintWriter(out, true, StandardCharsets.UTF_8);
        PrintWriter e = new PrintWriter(err, true, StandardCharsets.UTF_8);
        cl.setOut(o);
        cl.setErr(e);
        boolean debug = "1".equals(System.getenv("RAWIO_DEBUG")) || java.util.Arrays.asList(args).contains("--debug");
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine bad = ex.getCommandLine();
            // One line: what is wrong, and where the help is.
            e.println(qualifiedName(bad) + ": " + oneLine(ex) + " (see '" + qualifiedName(bad) + " --help')");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, bad, parsed) -> {
            e.println(qualifiedName(bad) + ": " + oneLine(ex));
            if (debug) {
                ex.printStackTrace(e);
            }
            return 1;
        });
        int code = cl.execute(args);
        o.flush();
        e.flush();
        return code;
    }

    private static String qualifiedName(CommandLine c) {
        return c.getCommandSpec().qualifiedName();
    }

    /** The message of an unexpected error as one line: the exception's own message, or its type. */
    static String oneLine(Throwable t) {
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            m = t.getClass().getSimpleName();
        }
        return m.lines().findFirst().orElse(m);
    }
}
