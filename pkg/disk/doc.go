// Package disk turns the disk strings of a CreatePool request into devices
// the agent may open, and nothing else.
//
// A disk is a plain absolute path or an aio:// or uring:// URI whose path is
// absolute (ParseURI). A Resolver accepts a path only when it, and the file it
// resolves to after following every symlink, lie under one of the allowed
// device directories, and the file is a block device or a regular file
// (sparse files serve as disks in tests). Devices are opened through an
// os.Root of the allowed directory, so even a path swapped between resolution
// and open cannot reach outside it, and the opened file must be the one that
// was resolved.
package disk
