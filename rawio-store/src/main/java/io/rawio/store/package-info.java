/**
 * The slot store: a crash-safe, checksummed, batched key-value store on a raw block device or a
 * preallocated file. Its format and API arrive with the store issue.
 */
package io.rawio.store;
