package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GlobTest {
    private static boolean m(String p, String s) {
        return Glob.matches(p.getBytes(StandardCharsets.UTF_8), s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void redisGlobs() {
        String[][] yes = {{"*", ""}, {"*", "abc"}, {"h?llo", "hello"}, {"h*llo", "heeeello"}, {"h[ae]llo", "hallo"},
            {"h[^e]llo", "hallo"}, {"h[a-b]llo", "hbllo"}, {"a\\*b", "a*b"}, {"user:*:chunk?", "user:42:chunk7"},
            {"*kv_bytes", "model@x@kv_bytes"}, {"a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaab"}};
        String[][] no = {{"h?llo", "hllo"}, {"h[ae]llo", "hillo"}, {"h[^e]llo", "hello"}, {"a\\*b", "axb"},
            {"*kv_bytes", "model@x@metadata"}, {"a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaac"}, {"abc", "abcd"}};
        for (String[] c : yes) {
            assertEquals(true, m(c[0], c[1]), c[0] + " ~ " + c[1]);
        }
        for (String[] c : no) {
            assertEquals(false, m(c[0], c[1]), c[0] + " !~ " + c[1]);
        }
    }

    @Test
    void theLiteralStartGoesToTheStoreAsAPrefix() {
        assertArrayEquals("user:".getBytes(StandardCharsets.UTF_8), Glob.prefix("user:*".getBytes(StandardCharsets.UTF_8)));
        assertArrayEquals(new byte[0], Glob.prefix("*x".getBytes(StandardCharsets.UTF_8)));
        assertArrayEquals("a".getBytes(StandardCharsets.UTF_8), Glob.prefix("a\\*".getBytes(StandardCharsets.UTF_8)));
    }
}
