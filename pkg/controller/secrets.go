package controller

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

// secretIndex indexes DiskPools by the Secret their spec.encryptionConfig
// names ("namespace/name"), so a Secret's arrival or removal queues them.
const secretIndex = "encryptionSecret"

func encryptionSecretKeys(obj any) ([]string, error) {
	dsp, ok := obj.(*v1beta3.DiskPool)
	if !ok || dsp.Spec.EncryptionConfig == nil {
		return nil, nil
	}
	return []string{dsp.Namespace + "/" + dsp.Spec.EncryptionConfig.Source.Secret.Name}, nil
}

// SecretMetadataOnly is an informer transform for Secrets: the controller
// only asks whether a Secret exists, so their data never sits in its
// memory.
func SecretMetadataOnly(obj any) (any, error) {
	s, ok := obj.(*corev1.Secret)
	if !ok {
		return StripManagedFields(obj)
	}
	slim := &corev1.Secret{TypeMeta: s.TypeMeta, ObjectMeta: s.ObjectMeta}
	slim.ManagedFields = nil
	return slim, nil
}

// watchSecrets indexes the DiskPool informers by encryption Secret and
// queues the DiskPools that name a Secret when it is added or deleted.
func (c *Controller) watchSecrets(cfg Config) error {
	if len(cfg.SecretInformers) == 0 {
		return nil
	}
	for _, inf := range cfg.DiskPoolInformers {
		if err := inf.Informer().AddIndexers(cache.Indexers{secretIndex: encryptionSecretKeys}); err != nil {
			return fmt.Errorf("adding the encryption Secret index: %w", err)
		}
		c.poolIndexers = append(c.poolIndexers, inf.Informer().GetIndexer())
	}
	for _, inf := range cfg.SecretInformers {
		c.secretListers = append(c.secretListers, inf.Lister())
		reg, err := inf.Informer().AddEventHandlerWithOptions(cache.ResourceEventHandlerFuncs{
			AddFunc:    c.enqueueSecretUsers,
			DeleteFunc: c.enqueueSecretUsers,
		}, cache.HandlerOptions{Logger: &c.logger})
		if err != nil {
			return fmt.Errorf("adding the Secret event handler: %w", err)
		}
		c.synced = append(c.synced, inf.Informer().HasSynced, reg.HasSynced)
	}
	return nil
}

func (c *Controller) enqueueSecretUsers(obj any) {
	name, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	for _, idx := range c.poolIndexers {
		users, _ := idx.ByIndex(secretIndex, name)
		for _, u := range users {
			if dsp, ok := u.(*v1beta3.DiskPool); ok {
				c.queue.Add(key{Kind: KindDiskPool, Namespace: dsp.Namespace, Name: dsp.Name})
			}
		}
	}
}

// observeSecret says whether the Secret view's spec.encryptionConfig names
// exists in its namespace; SecretUnknown without Secret informers.
func (c *Controller) observeSecret(view *v1beta3.DiskPool) (reconcile.SecretState, error) {
	if view.Spec.EncryptionConfig == nil || len(c.secretListers) == 0 {
		return reconcile.SecretUnknown, nil
	}
	name := view.Spec.EncryptionConfig.Source.Secret.Name
	for _, l := range c.secretListers {
		switch _, err := l.Secrets(view.Namespace).Get(name); {
		case err == nil:
			return reconcile.SecretPresent, nil
		case !apierrors.IsNotFound(err):
			return reconcile.SecretUnknown, fmt.Errorf("reading Secret %s/%s from the cache: %w", view.Namespace, name, err)
		}
	}
	return reconcile.SecretMissing, nil
}

// lastReplicas is the replica count of the object's pool in the agents'
// last report, kept while its agent is unreachable.
func lastReplicas(pool reconcile.PoolView, view *v1beta3.DiskPool) reconcile.ReplicaCount {
	if !pool.Found || pool.Pool.OwnerUID != string(view.UID) {
		return reconcile.ReplicaCount{}
	}
	return reconcile.ReplicaCount{Count: pool.Pool.ReplicaCount, Known: true}
}
