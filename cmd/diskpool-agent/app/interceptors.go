package app

import (
	"context"

	"github.com/go-logr/logr"
	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"k8s.io/klog/v2"
)

// loggingUnary puts a logger with the method and peer into each call's
// context and logs every completed call at V(4), failures at V(2).
func loggingUnary(base logr.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		logger := callLogger(ctx, base, info.FullMethod)
		resp, err := handler(klog.NewContext(ctx, logger), req)
		logCall(logger, err)
		return resp, err
	}
}

// loggingStream is loggingUnary for streams.
func loggingStream(base logr.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		logger := callLogger(ss.Context(), base, info.FullMethod)
		logger.V(4).Info("Stream started")
		err := handler(srv, &ctxStream{ServerStream: ss, ctx: klog.NewContext(ss.Context(), logger)})
		logCall(logger, err)
		return err
	}
}

func callLogger(ctx context.Context, base logr.Logger, method string) logr.Logger {
	l := base.WithValues("method", method)
	if p, ok := peer.FromContext(ctx); ok {
		l = l.WithValues("peer", p.Addr.String())
	}
	return l
}

func logCall(logger logr.Logger, err error) {
	if err != nil {
		st := status.Convert(err)
		logger.V(2).Info("Call failed", "code", st.Code().String(), "message", st.Message())
		return
	}
	logger.V(4).Info("Call done")
}

type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *ctxStream) Context() context.Context { return s.ctx }
