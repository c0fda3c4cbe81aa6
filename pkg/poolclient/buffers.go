package poolclient

import "google.golang.org/grpc"

// BufferSize is the read buffer of each agent connection, and the size of
// the write buffers it takes from gRPC's shared pool while it flushes. The
// operator keeps one connection per node for as long as the node's agent
// has a Lease, and what a connection carries is small: a WatchPools stream
// of a few pool events, and one call per create, delete or disk inventory.
// gRPC's default of 32 KiB each made the read buffers alone a third of
// the operator's heap on a 1000-node fleet (docs/benchmarks.md). A larger
// message is read or written past the buffer, in more system calls.
const BufferSize = 4 << 10

// bufferDialOptions size every agent connection's buffers.
var bufferDialOptions = []grpc.DialOption{
	grpc.WithReadBufferSize(BufferSize),
	grpc.WithWriteBufferSize(BufferSize),
}
