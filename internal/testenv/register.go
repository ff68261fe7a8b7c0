package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// installRegister creates the operator's ServiceAccount, binds it the ClusterRole of
// config/rbac/role.yaml and, in its namespace, the leader-election Role, installs the policies of config/admission bound to it, and waits
// until the API server enforces them.
func (e *Env) installRegister(ctx context.Context) error {
	c := e.Client
	role := &rbacv1.ClusterRole{}
	if err := readYAML(filepath.Join(RepoRoot(), "config", "rbac", "role.yaml"), role); err != nil {
		return err
	}
	role.Name = "isms-operator"
	leaderElection := &rbacv1.Role{}
	if err := readYAML(filepath.Join(RepoRoot(), "config", "rbac", "leader_election_role.yaml"), leaderElection); err != nil {
		return err
	}
	leaderElection.Namespace = OperatorNamespace
	objects := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: OperatorNamespace}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: OperatorNamespace, Name: OperatorServiceAccount}},
		role,
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "isms-operator"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: OperatorNamespace, Name: OperatorServiceAccount}}},
		leaderElection,
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: OperatorNamespace, Name: leaderElection.Name},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: leaderElection.Name},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: OperatorNamespace, Name: OperatorServiceAccount}}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: OperatorNamespace, Name: "isms-risk-appetite"},
			Data: map[string]string{"riskAppetite": strconv.Itoa(Appetite)}},
	}
	policies, err := os.ReadFile(filepath.Join(RepoRoot(), "config", "admission", "policies.yaml"))
	if err != nil {
		return err
	}
	for _, doc := range bytes.Split(policies, []byte("\n---\n")) {
		policy := &admissionregistrationv1.ValidatingAdmissionPolicy{}
		if err := yaml.UnmarshalStrict(doc, policy); err != nil {
			return fmt.Errorf("config/admission/policies.yaml: %w", err)
		}
		if policy.Name == "" {
			continue
		}
		binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: policy.Name},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: policy.Name,
				ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}}}
		if kind := policy.Spec.ParamKind; kind != nil {
			name := OperatorServiceAccount
			if kind.Kind == "ConfigMap" {
				name = "isms-risk-appetite"
			}
			binding.Spec.ParamRef = &admissionregistrationv1.ParamRef{Name: name, Namespace: OperatorNamespace,
				ParameterNotFoundAction: ptr.To(admissionregistrationv1.DenyAction)}
		}
		objects = append(objects, policy, binding)
	}
	for _, obj := range objects {
		if err := c.Create(ctx, obj); err != nil {
			return fmt.Errorf("creating %T %s: %w", obj, obj.GetName(), err)
		}
	}
	return waitForPolicies(ctx, c)
}

// waitForPolicies waits until the API server refuses, as it must, a status written by
// anyone but the operator (here the cluster administrator): policies take effect a moment
// after they are created. (A Risk would make a better probe, but the webhook that every
// Risk write calls is not served until the tests start the operator.)
func waitForPolicies(ctx context.Context, c client.Client) error {
	probe := &isms.InformationAsset{ObjectMeta: metav1.ObjectMeta{Namespace: OperatorNamespace, Name: "policy-probe"},
		Spec: isms.InformationAssetSpec{Owner: isms.Person{Name: "Probe"}, Classification: isms.ClassificationOfficial,
			Criticality: isms.CriticalityLow, Selector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "probe"}}}}
	if err := c.Create(ctx, probe); err != nil {
		return err
	}
	defer func() { _ = c.Delete(ctx, probe) }()
	var last error
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		probe.Status.Compliance = "probe"
		last = c.Status().Update(ctx, probe.DeepCopy(), client.DryRunAll)
		return last != nil && strings.Contains(last.Error(), "status is written only by the isms-operator"), nil
	})
	if err != nil {
		return errors.Join(fmt.Errorf("the admission policies did not take effect"), last)
	}
	return nil
}

func readYAML(path string, into any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return yaml.Unmarshal(bytes.TrimPrefix(data, []byte("---\n")), into)
}

// BindOpenReportsRole binds the OpenReports writer's ClusterRole, as generated from its
// markers (config/rbac/openreports), to the operator's ServiceAccount, as the chart does
// when reports are on.
func (e *Env) BindOpenReportsRole(ctx context.Context) error {
	role := &rbacv1.ClusterRole{}
	if err := readYAML(filepath.Join(RepoRoot(), "config", "rbac", "openreports", "role.yaml"), role); err != nil {
		return err
	}
	role.Name = "isms-operator-openreports"
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: OperatorNamespace, Name: OperatorServiceAccount}}}
	for _, obj := range []client.Object{role, binding} {
		if err := e.Client.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}
