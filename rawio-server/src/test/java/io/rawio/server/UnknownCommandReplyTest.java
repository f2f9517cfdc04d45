package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rawio.server.resp.ReplyWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The unknown-command error as Redis 7 builds it (server.c, processCommand): the arguments are listed
 * while the list is under 128 bytes, each cut to what is left of the 128; the name cut to 128 bytes.
 */
class UnknownCommandReplyTest {
    private static String reply(List<byte[]> args) {
        ReplyWriter w = new ReplyWriter();
        Commands.unknown(args, w);
        return new String(w.toBytes(), StandardCharsets.ISO_8859_1);
    }

    private static List<byte[]> words(String... s) {
        List<byte[]> l = new ArrayList<>();
        for (String w : s) {
            l.add(w.getBytes(StandardCharsets.ISO_8859_1));
        }
        return l;
    }

    @Test
    void manyArgumentsAreListedUntilTheListReaches128Bytes() {
        List<String> a = new ArrayList<>(List.of("FROB"));
        StringBuilder listed = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            a.add(String.format("a%02d", i));
        }
        for (int i = 0; i < 21; i++) {
            listed.append(String.format("'a%02d' ", i)); // 21 x 6 = 126 bytes: under 128, one more goes in
        }
        listed.append("'a2' "); // cut to the 2 bytes left
        assertEquals("-ERR unknown command 'FROB', with args beginning with: " + listed + "\r\n",
                reply(words(a.toArray(String[]::new))));
    }

    @Test
    void aLongArgumentIsCutToWhatIsLeftOfThe128Bytes() {
        String longOne = "a".repeat(120);
        assertEquals("-ERR unknown command 'FOO', with args beginning with: 'x' 'y' 'z' 'w' '" + "a".repeat(112)
                + "' \r\n", reply(words("FOO", "x", "y", "z", "w", longOne)));
    }

    @Test
    void theNameIsCutTo128BytesAndBytesComeBackAsSentUpToANul() {
        String name = "N".repeat(200);
        assertEquals("-ERR unknown command '" + "N".repeat(128) + "', with args beginning with: '\u00ff\u00fe' 'ab' \r\n",
                reply(words(name, "\u00ff\u00fe", "ab\u0000cd")));
        assertEquals("-ERR unknown command 'FOO', with args beginning with: 'a b' \r\n", reply(words("FOO", "a\r\nb".replace("\r\n", "\n"))));
    }
}
