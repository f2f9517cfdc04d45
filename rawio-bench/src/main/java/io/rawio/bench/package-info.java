/**
 * The fio-class job runner, the store bench, metrics, device counters, reports and the labs: library
 * code without a command line (the commands that drive it are in rawio-cli).
 */
package io.rawio.bench;
