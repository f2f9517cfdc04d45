package io.rawio.cli.store;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Keys as file names for {@code rawio store export}: bytes in [A-Za-z0-9._-] stay as they are, every
 * other byte (including '%' and '/') becomes %XX in upper-case hex, and the names "." and ".." are
 * written "%2E" and "%2E%2E". {@link #decode} reverses it.
 */
public final class KeyNames {
    private KeyNames() {
    }

    public static String encode(byte[] key) {
        StringBuilder sb = new StringBuilder(key.length);
        for (byte b : key) {
            int c = b & 0xff;
            boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
            if (safe) {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        String s = sb.toString();
        return s.equals(".") ? "%2E" : s.equals("..") ? "%2E%2E" : s;
    }

    public static byte[] decode(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '%' && i + 2 < name.length()) {
                out.write(Integer.parseInt(name.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }
}
