package ecisim

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"time"
)

// OIDCRole is a RAM role that STS AssumeRoleWithOIDC lets a pod identity
// assume, as ACK's RRSA does: the caller proves itself with the OIDC token
// of its service account.
type OIDCRole struct {
	RoleArn         string
	OIDCProviderArn string
	// Token is the OIDC token the caller must present.
	Token string
}

// AddOIDCRole makes AssumeRoleWithOIDC accept a role.
func (s *Server) AddOIDCRole(r OIDCRole) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oidcRoles[r.RoleArn] = r
}

// IssuedSTSCredentials returns the credentials AssumeRoleWithOIDC issued, oldest first.
func (s *Server) IssuedSTSCredentials() []Credential {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Credential(nil), s.issued...)
}

// assumeRoleWithOIDC is STS's anonymous call: no AccessKey signs it; the
// OIDC token is the proof. The issued STS credentials are then accepted by
// the simulated ECI API, with their security token required.
func (s *Server) assumeRoleWithOIDC(p url.Values) (map[string]any, *apiError) {
	for _, name := range []string{"RoleArn", "OIDCProviderArn", "OIDCToken", "RoleSessionName"} {
		if p.Get(name) == "" {
			return nil, missing(name)
		}
	}
	role, ok := s.oidcRoles[p.Get("RoleArn")]
	if !ok || role.OIDCProviderArn != p.Get("OIDCProviderArn") {
		return nil, errorf(http.StatusNotFound, "EntityNotExist.Role", "The role %q or its OIDC provider does not exist.", p.Get("RoleArn"))
	}
	if role.Token != p.Get("OIDCToken") {
		return nil, errorf(http.StatusBadRequest, "AuthenticationFail.OIDCToken.Invalid", "The OIDC token is invalid.")
	}
	cred := Credential{AccessKeyID: "STS." + randomHex(12), AccessKeySecret: randomHex(20), SecurityToken: "CAIS" + randomHex(40)}
	s.creds[cred.AccessKeyID] = cred
	s.issued = append(s.issued, cred)
	expiration := s.opts.Clock().Add(time.Hour).UTC().Format("2006-01-02T15:04:05Z")
	return map[string]any{
		"Credentials": map[string]string{
			"AccessKeyId": cred.AccessKeyID, "AccessKeySecret": cred.AccessKeySecret,
			"SecurityToken": cred.SecurityToken, "Expiration": expiration,
		},
		"AssumedRoleUser": map[string]string{"Arn": role.RoleArn + "/" + p.Get("RoleSessionName"), "AssumedRoleId": randomHex(8)},
	}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}
