/** JMH microbenchmarks of rawio's hot paths (allocation per I/O with {@code -prof gc}). */
package io.rawio.jmh;
