// Module images builds the project's container images (OCI archives) from
// static binaries with go-containerregistry, without a Docker engine, and
// the pause program of the single-node cluster's sandbox image. It is its
// own module so the product go.mod holds only what the shipped binaries
// need.
module github.com/diskpool/diskpool-operator/scripts/images

go 1.26.0

require github.com/google/go-containerregistry v0.22.1

require (
	github.com/klauspost/compress v1.19.2 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
	golang.org/x/sync v0.22.0 // indirect
)
