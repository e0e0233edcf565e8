package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/eci"
	"github.com/eci-commit-operator/eci-commit-operator/internal/tracker"
)

// Keys of a credentials Secret.
const (
	AccessKeyIDKey     = "accessKeyId"
	AccessKeySecretKey = "accessKeySecret"
	SecurityTokenKey   = "securityToken"
)

// credentialsWait is how often a ContainerCommit waiting for its Secret
// looks again. Secrets are read live, one at a time, never cached.
const credentialsWait = 10 * time.Second

// Clouds hands out cloud clients: the controller's own identity's, and one
// per set of credentials from a Secret.
type Clouds interface {
	Default() eci.Client
	For(eci.Credentials) (eci.Client, error)
}

// defaultIdentity names the controller's own identity in the tracker.
const defaultIdentity = "controller"

// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// cloudFor returns the client that signs the object's calls: with the
// credentials of its Secret, read now so that a rotation takes effect at
// once, or with the controller's own identity. problem explains a missing
// Secret or key without revealing any value.
func (r *ContainerCommitReconciler) cloudFor(ctx context.Context, obj *eciv1.ContainerCommit) (via tracker.Caller, problem string, err error) {
	ref := obj.Spec.CredentialsSecretRef
	if ref == nil {
		return tracker.Caller{Identity: defaultIdentity, Client: r.Clouds.Default()}, "", nil
	}
	secret := &corev1.Secret{}
	key := types.NamespacedName{Namespace: obj.Namespace, Name: ref.Name}
	if err := r.APIReader.Get(ctx, key, secret); apierrors.IsNotFound(err) {
		return via, fmt.Sprintf("Waiting for Secret %s in namespace %s (spec.credentialsSecretRef)", ref.Name, obj.Namespace), nil
	} else if err != nil {
		return via, "", err
	}
	creds := eci.Credentials{
		AccessKeyID:     string(secret.Data[AccessKeyIDKey]),
		AccessKeySecret: string(secret.Data[AccessKeySecretKey]),
		SecurityToken:   string(secret.Data[SecurityTokenKey]),
	}
	for name, value := range map[string]string{AccessKeyIDKey: creds.AccessKeyID, AccessKeySecretKey: creds.AccessKeySecret} {
		if value == "" {
			return via, fmt.Sprintf("Secret %s has no key %s (spec.credentialsSecretRef)", ref.Name, name), nil
		}
	}
	client, err := r.Clouds.For(creds)
	if err != nil {
		return via, "", err
	}
	return tracker.Caller{Identity: creds.Identity(), Client: client}, "", nil
}
