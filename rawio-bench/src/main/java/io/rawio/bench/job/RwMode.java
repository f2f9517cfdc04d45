package io.rawio.bench.job;

import java.util.Locale;

/** fio's --rw values that rawio runs. */
public enum RwMode {
    READ, WRITE, RANDREAD, RANDWRITE, RANDRW, RW;

    public boolean random() {
        return this == RANDREAD || this == RANDWRITE || this == RANDRW;
    }

    /** Whether any operation of this mode writes. */
    public boolean writes() {
        return this == WRITE || this == RANDWRITE || this == RANDRW || this == RW;
    }

    /** Whether any operation of this mode reads. */
    public boolean reads() {
        return this != WRITE && this != RANDWRITE;
    }

    public boolean mixed() {
        return this == RANDRW || this == RW;
    }

    public String fioName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static RwMode parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.equals("readwrite")) {
            return RW;
        }
        for (RwMode m : values()) {
            if (m.fioName().equals(t)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown --rw: '" + s + "' (read, write, randread, randwrite, randrw, rw)");
    }
}
