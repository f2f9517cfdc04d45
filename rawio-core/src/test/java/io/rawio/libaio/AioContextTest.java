package io.rawio.libaio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.nativeio.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class AioContextTest {
    /**
     * io_cancel of an iocb the context never took is refused with EINVAL (fs/aio.c: no such request):
     * the call reaches io_cancel with this context, not another system call or a bad address (EFAULT).
     */
    @Test
    void cancellingAnIocbThatWasNeverSubmittedIsEinval() throws Exception {
        assumeTrue(AioContext.available(), () -> "native AIO unavailable: " + AioContext.unavailableReason().orElse(""));
        try (AioContext aio = AioContext.create(4); Arena arena = Arena.ofConfined()) {
            MemorySegment iocb = arena.allocate(IocbDescriptor.SIZE, 64);
            MemorySegment event = arena.allocate(IoEventDescriptor.SIZE, 8);
            assertEquals(-Errno.EINVAL, aio.cancel(iocb, event));
        }
    }
}
