package io.rawio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.StringWriter;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's library examples, taken from README.md as written, compiled and run. */
class ReadmeExamplesTest {
    @TempDir
    Path dir;

    private static List<String> javaBlocks() throws Exception {
        Path readme = Path.of("..", "README.md");
        assumeTrue(Files.exists(readme), "README.md not found from " + Path.of("").toAbsolutePath());
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(readme));
        List<String> blocks = new ArrayList<>();
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    private ClassLoader compile(String className, String source) throws Exception {
        Path src = dir.resolve(className + ".java");
        Files.writeString(src, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assumeTrue(javac != null, "no system Java compiler");
        StringWriter errors = new StringWriter();
        Path out = Files.createDirectories(dir.resolve("classes"));
        boolean ok = javac.getTask(errors, null, null,
                List.of("-d", out.toString(), "-cp", System.getProperty("java.class.path")), null,
                javac.getStandardFileManager(null, null, null).getJavaFileObjects(src)).call();
        assertTrue(ok, "the README example does not compile:\n" + errors + "\n" + source);
        return new URLClassLoader(new URL[] {out.toUri().toURL()}, getClass().getClassLoader());
    }

    @Test
    void theEngineExampleCompilesAndRuns() throws Exception {
        String block = javaBlocks().getFirst();
        Path data = dir.resolve("data.bin");
        StringBuilder imports = new StringBuilder();
        StringBuilder body = new StringBuilder();
        for (String line : block.split("\n")) {
            (line.startsWith("import ") ? imports : body).append(line).append('\n');
        }
        String source = imports + "public class ReadmeEngineExample {\n"
                + body.toString().replace("Path.of(\"data.bin\")", "Path.of(\"" + data + "\")") + "}\n";
        ClassLoader cl = compile("ReadmeEngineExample", source);
        Method m = cl.loadClass("ReadmeEngineExample").getDeclaredMethod("example");
        m.setAccessible(true);
        m.invoke(null);
        assertEquals(1 << 20, Files.size(data));
    }

    @Test
    void theStoreExampleCompilesAndRuns() throws Exception {
        String block = javaBlocks().get(1);
        String source = "import io.rawio.store.*;\nimport io.rawio.store.StoreOptions.Durability;\nimport java.util.List;\n"
                + "public class ReadmeStoreExample {\n"
                + "  public static byte[] run(java.nio.file.Path path, byte[] value, List<byte[]> keys,"
                + " List<java.lang.foreign.MemorySegment> values) throws Exception {\n    byte[] result = null;\n"
                + block.replace("byte[] v = store.get(", "result = store.get(") + "\n    return result;\n  }\n}\n";
        ClassLoader cl = compile("ReadmeStoreExample", source);
        Method m = cl.loadClass("ReadmeStoreExample").getMethod("run", Path.class, byte[].class, List.class, List.class);
        byte[] value = "hello".getBytes();
        Object got = m.invoke(null, dir.resolve("kv.store"), value, List.of("a".getBytes(), "b".getBytes()),
                List.of(MemorySegment.ofArray(new byte[10]), MemorySegment.ofArray(new byte[20])));
        assertEquals("hello", new String((byte[]) got));
    }
}
