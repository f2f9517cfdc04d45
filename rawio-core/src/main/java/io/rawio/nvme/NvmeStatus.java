package io.rawio.nvme;

import io.rawio.nativeio.Errno;

/**
 * An NVMe command's status as NVMe passthrough reports it: a positive CQE {@code res} (0 is success,
 * a negative one an errno from the kernel, not the device). The kernel hands on the completion
 * queue entry's status field shifted right by one, past the phase tag (nvme_req(req)->status in
 * drivers/nvme/host/core.c), so:
 *
 * <pre>
 *   15   14    13    12  11  10        8  7                  0
 *   +---+-----+-----+-------+-----------+--------------------+
 *   | 0 | DNR | M   |  CRD  |    SCT    |         SC         |
 *   +---+-----+-----+-------+-----------+--------------------+
 * </pre>
 * SC the status code, SCT its type (0 generic, 1 command specific, 2 media and data integrity,
 * 3 path related, 7 vendor specific), CRD the command retry delay, M more (a log page has more), DNR
 * do not retry (NVMe Base Specification, "Completion Queue Entry: Status Field").
 */
public final class NvmeStatus {
    public static final int SCT_GENERIC = 0;
    public static final int SCT_COMMAND_SPECIFIC = 1;
    public static final int SCT_MEDIA = 2;
    public static final int SCT_PATH = 3;
    public static final int SCT_VENDOR = 7;

    public static final int SC_INVALID_OPCODE = 0x01;
    public static final int SC_INVALID_FIELD = 0x02;
    public static final int SC_LBA_RANGE = 0x80;
    public static final int SC_CAP_EXCEEDED = 0x81;

    private NvmeStatus() {
    }

    public static int sc(int status) {
        return status & 0xff;
    }

    public static int sct(int status) {
        return (status >>> 8) & 0x7;
    }

    public static int crd(int status) {
        return (status >>> 11) & 0x3;
    }

    public static boolean more(int status) {
        return (status & (1 << 13)) != 0;
    }

    public static boolean dnr(int status) {
        return (status & (1 << 14)) != 0;
    }

    /** The status a device returns for (sct, sc), with DNR when {@code dnr}. */
    public static int of(int sct, int sc, boolean dnr) {
        return (dnr ? 1 << 14 : 0) | (sct & 0x7) << 8 | (sc & 0xff);
    }

    /** The specification's name of a status code, or {@code unknown}. */
    public static String name(int status) {
        int sc = sc(status);
        return switch (sct(status)) {
            case SCT_GENERIC -> switch (sc) {
                case 0x00 -> "Successful Completion";
                case 0x01 -> "Invalid Command Opcode";
                case 0x02 -> "Invalid Field in Command";
                case 0x03 -> "Command ID Conflict";
                case 0x04 -> "Data Transfer Error";
                case 0x05 -> "Commands Aborted due to Power Loss Notification";
                case 0x06 -> "Internal Error";
                case 0x07 -> "Command Abort Requested";
                case 0x08 -> "Command Aborted due to SQ Deletion";
                case 0x0b -> "Invalid Namespace or Format";
                case 0x0d -> "Invalid SGL Segment Descriptor";
                case 0x0f -> "Data SGL Length Invalid";
                case 0x15 -> "Operation Denied";
                case 0x80 -> "LBA Out of Range";
                case 0x81 -> "Capacity Exceeded";
                case 0x82 -> "Namespace Not Ready";
                case 0x83 -> "Reservation Conflict";
                case 0x84 -> "Format In Progress";
                default -> "unknown";
            };
            case SCT_COMMAND_SPECIFIC -> switch (sc) {
                case 0x80 -> "Conflicting Attributes";
                case 0x81 -> "Invalid Protection Information";
                case 0x82 -> "Attempted Write to Read Only Range";
                default -> "unknown";
            };
            case SCT_MEDIA -> switch (sc) {
                case 0x80 -> "Write Fault";
                case 0x81 -> "Unrecovered Read Error";
                case 0x82 -> "End-to-end Guard Check Error";
                case 0x83 -> "End-to-end Application Tag Check Error";
                case 0x84 -> "End-to-end Reference Tag Check Error";
                case 0x85 -> "Compare Failure";
                case 0x86 -> "Access Denied";
                case 0x87 -> "Deallocated or Unwritten Logical Block";
                default -> "unknown";
            };
            case SCT_PATH -> switch (sc) {
                case 0x00 -> "Internal Path Error";
                case 0x01 -> "Asymmetric Access Persistent Loss";
                case 0x02 -> "Asymmetric Access Inaccessible";
                case 0x03 -> "Asymmetric Access Transition";
                case 0x60 -> "Controller Pathing Error";
                case 0x70 -> "Host Pathing Error";
                case 0x71 -> "Command Aborted By Host";
                default -> "unknown";
            };
            case SCT_VENDOR -> "Vendor Specific";
            default -> "unknown";
        };
    }

    /** One line for an error message: {@code NVMe status 0x4080 (SCT=0x0 SC=0x80 DNR): LBA Out of Range}. */
    public static String describe(int status) {
        return "NVMe status 0x" + Integer.toHexString(status) + " (SCT=0x" + Integer.toHexString(sct(status))
                + " SC=0x" + Integer.toHexString(sc(status)) + (dnr(status) ? " DNR" : "") + "): " + name(status);
    }

    /**
     * The errno an operation that failed with this status gets as its result: EOPNOTSUPP for an
     * opcode the device does not have, EINVAL for a field it refused, ENOSPC past the capacity, EIO
     * for the rest. The status itself goes with the failure ({@link #describe}).
     */
    public static int errno(int status) {
        if (sct(status) == SCT_GENERIC) {
            switch (sc(status)) {
                case SC_INVALID_OPCODE:
                    return Errno.EOPNOTSUPP;
                case SC_INVALID_FIELD:
                    return Errno.EINVAL;
                case SC_CAP_EXCEEDED:
                    return Errno.ENOSPC;
                default:
                    break;
            }
        }
        return Errno.EIO;
    }
}
