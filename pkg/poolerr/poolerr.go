// Package poolerr builds and reads the errors of the diskpool PoolService.
//
// Every refusal of the pool service is a gRPC status that carries a
// google.rpc.ErrorInfo detail with Domain and one of the Reason constants, so
// callers branch on Reason(err), never on message text. The reasons are the
// names of the ErrorReason enum in proto/diskpool/agent/v1/agent.proto.
package poolerr

import (
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Domain is the ErrorInfo domain of every pool service error.
const Domain = "diskpool.openebs.io"

// Reasons carried in ErrorInfo.reason. Each is the name of an ErrorReason
// enum value in the proto.
const (
	ReasonInvalidArgument   = "InvalidArgument"
	ReasonDiskNotFound      = "DiskNotFound"
	ReasonDiskInUse         = "DiskInUse"
	ReasonForeignPool       = "ForeignPool"
	ReasonDiskClaimed       = "DiskClaimed"
	ReasonPoolNameTaken     = "PoolNameTaken"
	ReasonPoolDisksMismatch = "PoolDisksMismatch"
	ReasonDiskNotAllowed    = "DiskNotAllowed"
	ReasonPoolInUse         = "PoolInUse"
	ReasonOwnerMismatch     = "OwnerMismatch"
	ReasonPoolNotFound      = "PoolNotFound"
	ReasonPoolFaulted       = "PoolFaulted"
	ReasonNoSpace           = "NoSpace"
	ReasonDiskNotGrown      = "DiskNotGrown"
	ReasonExpansionLimit    = "ExpansionLimit"
	// ReasonConfirmationRequired: a destructive call lacks its confirmation.
	ReasonConfirmationRequired = "ConfirmationRequired"
	ReasonUUIDMismatch         = "UUIDMismatch"
	// ReasonOwnerDeleted: a CreatePool for an owner this agent has answered
	// a DestroyPool for; its object is being deleted or gone.
	ReasonOwnerDeleted = "OwnerDeleted"
)

// Metadata keys used in ErrorInfo.metadata.
const (
	MetaDisk      = "disk"
	MetaPath      = "path"
	MetaPool      = "pool"
	MetaOwner     = "owner"
	MetaSignature = "signature"
	MetaOffset    = "offset"
	MetaFoundPool = "found_pool"
	MetaFoundUUID = "found_uuid"
	MetaReplicas  = "replicas"
	MetaRequested = "requested"
	MetaAvailable = "available"
)

// New returns a gRPC status error with code, msg and an ErrorInfo detail with
// Domain, reason and md. md may be nil.
func New(code codes.Code, reason, msg string, md map[string]string) error {
	st := status.New(code, msg)
	withInfo, err := st.WithDetails(&errdetails.ErrorInfo{
		Reason:   reason,
		Domain:   Domain,
		Metadata: md,
	})
	if err != nil {
		// Only fails for code OK or an unmarshallable detail; neither can
		// happen here, but never lose the error itself.
		return st.Err()
	}
	return withInfo.Err()
}

// Reason returns the ErrorInfo reason of a pool service error, or "" when
// err is nil, not a gRPC status, or carries no ErrorInfo of Domain. Errors
// wrapped with %w are unwrapped.
func Reason(err error) string {
	if info := errorInfo(err); info != nil {
		return info.GetReason()
	}
	return ""
}

// Metadata returns the ErrorInfo metadata of a pool service error, or nil.
func Metadata(err error) map[string]string {
	if info := errorInfo(err); info != nil {
		return info.GetMetadata()
	}
	return nil
}

func errorInfo(err error) *errdetails.ErrorInfo {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		// status.FromError already unwraps; a plain error has no status.
		var se interface{ GRPCStatus() *status.Status }
		if !errors.As(err, &se) {
			return nil
		}
		st = se.GRPCStatus()
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetDomain() == Domain {
			return info
		}
	}
	return nil
}
