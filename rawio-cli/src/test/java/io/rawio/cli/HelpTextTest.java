package io.rawio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command's --help, as a new user meets it: no picocli warning, and summaries that are whole sentences. */
class HelpTextTest {
    /** Every command of the tree under {@code cl}, parents before their subcommands. */
    private static List<CommandLine> walk(CommandLine cl) {
        List<CommandLine> all = new ArrayList<>();
        Set<CommandLine> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        walk(cl, all, seen);
        return all;
    }

    private static void walk(CommandLine cl, List<CommandLine> all, Set<CommandLine> seen) {
        if (seen.add(cl)) {
            all.add(cl);
            for (CommandLine sub : cl.getSubcommands().values()) {
                walk(sub, all, seen);
            }
        }
    }

    /** The command's words after "rawio", e.g. [store, export]. */
    private static List<String> path(CommandLine cl) {
        List<String> words = new ArrayList<>();
        for (CommandLine c = cl; c.getParent() != null; c = c.getParent()) {
            words.addFirst(c.getCommandName());
        }
        return words;
    }

    @Test
    void theTreeHasTheCommandsAndTheirSubcommands() {
        List<String> names = walk(new CommandLine(new Main())).stream()
                .map(c -> c.getCommandSpec().qualifiedName()).toList();
        for (String n : List.of("rawio", "rawio bench", "rawio lab", "rawio info", "rawio store",
                "rawio store export", "rawio store bench", "rawio cluster", "rawio cluster check")) {
            assertTrue(names.contains(n), n + " in " + names);
        }
    }

    @Test
    void everyHelpRendersWithoutAWarning() {
        PrintStream systemErr = System.err;
        for (CommandLine cl : walk(new CommandLine(new Main()))) {
            List<String> args = new ArrayList<>(path(cl));
            args.add("--help");
            String name = cl.getCommandSpec().qualifiedName();
            // picocli's tracer prints "[picocli WARN]" on System.err, not on the command line's stderr
            ByteArrayOutputStream traced = new ByteArrayOutputStream();
            MainTest.Run r;
            System.setErr(new PrintStream(traced, true, StandardCharsets.UTF_8));
            try {
                r = MainTest.run(args.toArray(String[]::new));
            } finally {
                System.setErr(systemErr);
            }
            String warnings = traced.toString(StandardCharsets.UTF_8);
            assertEquals("", warnings, name + " --help printed a warning");
            assertEquals(0, r.exit(), name + " --help: " + r.err());
            assertEquals("", r.err(), name + " --help");
            assertTrue(r.out().startsWith("Usage: " + name), r.out());
            assertFalse(r.out().contains("%n") || r.out().contains("[picocli"), name + ": " + r.out());
        }
    }

    /**
     * A parent lists each subcommand with the first line of its description (its header, when it has
     * one): that line must be a sentence of its own, not the start of one cut at the line's end.
     */
    @Test
    void everySummaryIsAWholeSentence() {
        for (CommandLine cl : walk(new CommandLine(new Main()))) {
            CommandLine.Model.UsageMessageSpec u = cl.getCommandSpec().usageMessage();
            String name = cl.getCommandSpec().qualifiedName();
            String[] lines = u.header().length > 0 ? u.header() : u.description();
            assertTrue(lines.length > 0 && !lines[0].isBlank(), name + " has no description");
            String first = lines[0].strip();
            assertTrue(Character.isUpperCase(first.charAt(0)), name + ": starts with a capital: " + first);
            assertTrue(first.endsWith("."), name + ": the summary ends with a period: " + first);
            if (lines.length > 1 && !lines[1].isBlank()) {
                char next = lines[1].strip().charAt(0);
                assertFalse(Character.isLowerCase(next), name + ": the second line continues the first: " + lines[1]);
            }
        }
    }
}
