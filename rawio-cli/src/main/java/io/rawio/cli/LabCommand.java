package io.rawio.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** {@code rawio lab}: the classic I/O experiments. */
@Command(name = "lab", mixinStandardHelpOptions = true,
        description = "Run the classic low-latency I/O experiments (arrives with the lab issue).")
final class LabCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Unmatched
    java.util.List<String> args;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("rawio lab: not available yet: the labs arrive with the lab issue");
        return 2;
    }
}
