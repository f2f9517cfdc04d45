/**
 * The fio-class job runner, metrics, device counters, reports and the labs. Arrives with the bench
 * issue.
 */
package io.rawio.bench;
