package io.rawio.server.resp;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits an inline request line into words the way redis-cli and Redis read them: words are separated
 * by spaces (and tabs); a word in double quotes may hold spaces and the escapes {@code \n \r \t \b \a
 * \\ \" \xHH}; a word in single quotes may hold spaces and {@code \'}; a closing quote must end the
 * word (be followed by a space or the end of the line).
 */
final class InlineWords {
    private InlineWords() {
    }

    /** The words of {@code line[from, to)}, or null when a quote is not closed (or not followed by a space). */
    static List<byte[]> split(byte[] line, int from, int to) {
        List<byte[]> words = new ArrayList<>();
        int i = from;
        while (true) {
            while (i < to && isSpace(line[i])) {
                i++;
            }
            if (i >= to) {
                return words;
            }
            ByteArrayOutputStream w = new ByteArrayOutputStream();
            boolean inDouble = false;
            boolean inSingle = false;
            boolean done = false;
            while (!done) {
                if (inDouble) {
                    if (i >= to) {
                        return null;
                    }
                    byte c = line[i];
                    if (c == '\\' && i + 3 < to && line[i + 1] == 'x' && hex(line[i + 2]) >= 0 && hex(line[i + 3]) >= 0) {
                        w.write(hex(line[i + 2]) * 16 + hex(line[i + 3]));
                        i += 3;
                    } else if (c == '\\' && i + 1 < to) {
                        i++;
                        w.write(switch (line[i]) {
                            case 'n' -> '\n';
                            case 'r' -> '\r';
                            case 't' -> '\t';
                            case 'b' -> '\b';
                            case 'a' -> 7;
                            default -> line[i];
                        });
                    } else if (c == '"') {
                        if (i + 1 < to && !isSpace(line[i + 1])) {
                            return null; // a closing quote must end the word
                        }
                        done = true;
                    } else {
                        w.write(c);
                    }
                } else if (inSingle) {
                    if (i >= to) {
                        return null;
                    }
                    byte c = line[i];
                    if (c == '\\' && i + 1 < to && line[i + 1] == '\'') {
                        i++;
                        w.write('\'');
                    } else if (c == '\'') {
                        if (i + 1 < to && !isSpace(line[i + 1])) {
                            return null;
                        }
                        done = true;
                    } else {
                        w.write(c);
                    }
                } else {
                    if (i >= to || isSpace(line[i])) {
                        done = true;
                        continue; // the space (if any) is skipped by the outer loop
                    }
                    byte c = line[i];
                    if (c == '"') {
                        inDouble = true;
                    } else if (c == '\'') {
                        inSingle = true;
                    } else {
                        w.write(c);
                    }
                }
                i++;
            }
            words.add(w.toByteArray());
        }
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b;
    }

    private static int hex(byte c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
