package manifests

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	namespace        = Namespace
	operatorName     = OperatorName
	agentName        = AgentName
	agentPriority    = "diskpool-agent-critical"
	storageNodeLabel = "openebs.io/engine"
	storageNodeValue = "mayastor"
)

// rendered holds each overlay rendered once per test binary.
var rendered = map[string][]*unstructured.Unstructured{}

func overlay(t *testing.T, name string) []*unstructured.Unstructured {
	t.Helper()
	if objs, ok := rendered[name]; ok {
		return objs
	}
	objs := Render(t, Kubectl(t), "manifests/overlays/"+name)
	rendered[name] = objs
	return objs
}

// forEachOverlay runs f as a subtest per overlay.
func forEachOverlay(t *testing.T, f func(t *testing.T, objs []*unstructured.Unstructured)) {
	t.Helper()
	for _, name := range Overlays {
		t.Run(name, func(t *testing.T) { f(t, overlay(t, name)) })
	}
}

func deployment(t *testing.T, objs []*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	return MustFind[appsv1.Deployment](t, objs, "Deployment", operatorName)
}

func daemonSet(t *testing.T, objs []*unstructured.Unstructured) *appsv1.DaemonSet {
	t.Helper()
	return MustFind[appsv1.DaemonSet](t, objs, "DaemonSet", agentName)
}

// podTemplates returns every pod template in objs by owner key.
func podTemplates(t *testing.T, objs []*unstructured.Unstructured) map[string]*corev1.PodTemplateSpec {
	t.Helper()
	out := map[string]*corev1.PodTemplateSpec{}
	for _, u := range objs {
		switch u.GetKind() {
		case "Deployment":
			out[Key(u)] = &MustConvert[appsv1.Deployment](t, u).Spec.Template
		case "DaemonSet":
			out[Key(u)] = &MustConvert[appsv1.DaemonSet](t, u).Spec.Template
		case "StatefulSet", "ReplicaSet", "Job", "CronJob", "Pod":
			t.Errorf("%s: unexpected workload kind; extend these checks first", Key(u))
		}
	}
	return out
}

func TestOverlayObjects(t *testing.T) {
	common := []string{
		"Namespace//diskpool-system",
		"CustomResourceDefinition//diskpools.openebs.io",
		"CustomResourceDefinition//mayastorpools.openebs.io",
		"ServiceAccount/diskpool-system/diskpool-operator",
		"ClusterRole//diskpool-operator",
		"ClusterRoleBinding//diskpool-operator",
		"Role/diskpool-system/diskpool-operator",
		"RoleBinding/diskpool-system/diskpool-operator",
		"ServiceAccount/diskpool-system/diskpool-agent",
		"Role/diskpool-system/diskpool-agent",
		"RoleBinding/diskpool-system/diskpool-agent",
		"ValidatingAdmissionPolicy//diskpool-agent-own-lease",
		"ValidatingAdmissionPolicyBinding//diskpool-agent-own-lease",
		"Deployment/diskpool-system/diskpool-operator",
		"PodDisruptionBudget/diskpool-system/diskpool-operator",
		"Service/diskpool-system/diskpool-operator-metrics",
		"DaemonSet/diskpool-system/diskpool-agent",
		"Service/diskpool-system/diskpool-agent-metrics",
		"PriorityClass//diskpool-agent-critical",
		"MutatingAdmissionPolicy//diskpool-protection-finalizer",
		"MutatingAdmissionPolicyBinding//diskpool-protection-finalizer",
		"FlowSchema//diskpool-agent-leases",
		"FlowSchema//diskpool-operator-leader-election",
	}
	certManager := []string{
		"Issuer/diskpool-system/diskpool-selfsigned",
		"Certificate/diskpool-system/diskpool-ca",
		"Issuer/diskpool-system/diskpool-ca",
		"Certificate/diskpool-system/diskpool-agent-tls",
		"Certificate/diskpool-system/diskpool-operator-tls",
	}
	monitoring := []string{
		"ServiceMonitor/diskpool-system/diskpool-operator",
		"ServiceMonitor/diskpool-system/diskpool-agent",
		"PrometheusRule/diskpool-system/diskpool-operator",
		"ConfigMap/diskpool-system/diskpool-grafana-dashboard",
	}
	want := map[string][]string{
		"default":      common,
		"cert-manager": slices.Concat(common, certManager),
		"monitoring":   slices.Concat(common, certManager, monitoring),
	}
	forEachOverlay(t, func(t *testing.T, objs []*unstructured.Unstructured) {
		var got []string
		for _, o := range objs {
			got = append(got, Key(o))
		}
		w := slices.Clone(want[strings.TrimPrefix(t.Name(), "TestOverlayObjects/")])
		slices.Sort(got)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("objects differ\n got: %v\nwant: %v", got, w)
		}
		for _, o := range objs {
			if o.GetLabels()["app.kubernetes.io/part-of"] != "diskpool" {
				t.Errorf("%s: no app.kubernetes.io/part-of=diskpool label", Key(o))
			}
		}
	})
}

// TestPodSecurity: no pod shares the host's network, PID or IPC namespace;
// the operator runs as the restricted Pod Security profile demands; the agent
// container is the only privileged one.
func TestPodSecurity(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, objs []*unstructured.Unstructured) {
		for key, tmpl := range podTemplates(t, objs) {
			spec := tmpl.Spec
			if spec.HostNetwork || spec.HostPID || spec.HostIPC {
				t.Errorf("%s: hostNetwork/hostPID/hostIPC = %v/%v/%v, want all false", key, spec.HostNetwork, spec.HostPID, spec.HostIPC)
			}
			if spec.AutomountServiceAccountToken != nil && !*spec.AutomountServiceAccountToken {
				t.Errorf("%s: both binaries talk to the API server; the token must be mounted", key)
			}
			for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
				name := key + " container " + c.Name
				isAgent := key == "DaemonSet/"+namespace+"/"+agentName && c.Name == "agent"
				if isAgent {
					checkAgentSecurity(t, name, c.SecurityContext)
				} else {
					checkRestricted(t, name, spec.SecurityContext, c.SecurityContext)
				}
				for _, v := range spec.Volumes {
					if v.HostPath != nil && (!isAgent || !agentHostPaths[v.HostPath.Path]) {
						t.Errorf("%s: hostPath %s: only the agent may mount host paths, and only %v", name, v.HostPath.Path, agentHostPaths)
					}
				}
				for _, p := range c.Ports {
					if p.HostPort != 0 {
						t.Errorf("%s: hostPort %d", name, p.HostPort)
					}
				}
			}
		}
	})
}

// agentHostPaths are the host paths the agent may mount: the devices, and
// its state directory (which disks hold pools).
var agentHostPaths = map[string]bool{"/dev": true, "/var/lib/diskpool-agent": true}

// checkRestricted checks the restricted profile on a container, taking
// runAsNonRoot and seccomp from the pod when the container does not set them.
func checkRestricted(t *testing.T, name string, pod *corev1.PodSecurityContext, sc *corev1.SecurityContext) {
	t.Helper()
	if sc == nil {
		t.Errorf("%s: no securityContext", name)
		return
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Errorf("%s: privileged", name)
	}
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("%s: runAsNonRoot is not true", name)
	}
	if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		t.Errorf("%s: runAsUser 0", name)
	}
	if pod != nil && pod.RunAsUser != nil && *pod.RunAsUser == 0 {
		t.Errorf("%s: pod runAsUser 0", name)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: readOnlyRootFilesystem is not true", name)
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: allowPrivilegeEscalation is not false", name)
	}
	if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
		t.Errorf("%s: capabilities = %+v, want drop [ALL] and add nothing", name, sc.Capabilities)
	}
	if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: seccompProfile = %+v, want RuntimeDefault", name, sc.SeccompProfile)
	}
}

// checkAgentSecurity: privileged (block devices, see agent-daemonset.yaml),
// but nothing beyond it that it does not need.
func checkAgentSecurity(t *testing.T, name string, sc *corev1.SecurityContext) {
	t.Helper()
	if sc == nil || sc.Privileged == nil || !*sc.Privileged {
		t.Fatalf("%s: want privileged: true (it opens block devices; see the comment in agent-daemonset.yaml)", name)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: readOnlyRootFilesystem is not true", name)
	}
	if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: seccompProfile = %+v, want RuntimeDefault", name, sc.SeccompProfile)
	}
	if sc.Capabilities != nil && len(sc.Capabilities.Add) > 0 {
		t.Errorf("%s: adds capabilities %v on top of privileged", name, sc.Capabilities.Add)
	}
}

// probePorts is where each workload serves metrics and health: the
// operator on separate ports with /healthz and /readyz, the agent on one
// port with /healthz only (cmd/diskpool-agent --metrics-address).
var probePorts = map[string]struct {
	metrics, health int32
	readiness       string
}{
	"Deployment/" + namespace + "/" + operatorName: {8080, 8081, "/readyz"},
	"DaemonSet/" + namespace + "/" + agentName:     {10125, 10125, "/healthz"},
}

// TestContainers: every container has an image from our registry, requests
// and limits, a metrics port, and liveness and readiness probes.
func TestContainers(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, objs []*unstructured.Unstructured) {
		for key, tmpl := range podTemplates(t, objs) {
			want, ok := probePorts[key]
			if !ok {
				t.Errorf("%s: unexpected workload", key)
				continue
			}
			for _, c := range tmpl.Spec.Containers {
				name := key + " container " + c.Name
				if !strings.HasPrefix(c.Image, "ghcr.io/diskpool/diskpool-") || strings.HasSuffix(c.Image, ":latest") {
					t.Errorf("%s: image %q", name, c.Image)
				}
				for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
					req, hasReq := c.Resources.Requests[res]
					lim, hasLim := c.Resources.Limits[res]
					if !hasReq || !hasLim || req.Cmp(lim) > 0 {
						t.Errorf("%s: %s request %v, limit %v: want both, request <= limit", name, res, req.String(), lim.String())
					}
				}
				if e := env(c, "GOMEMLIMIT"); e == nil || e.ValueFrom == nil || e.ValueFrom.ResourceFieldRef == nil ||
					e.ValueFrom.ResourceFieldRef.Resource != "limits.memory" || (!e.ValueFrom.ResourceFieldRef.Divisor.IsZero() && e.ValueFrom.ResourceFieldRef.Divisor.Value() != 1) ||
					(e.ValueFrom.ResourceFieldRef.ContainerName != "" && e.ValueFrom.ResourceFieldRef.ContainerName != c.Name) {
					t.Errorf("%s: env GOMEMLIMIT must be its own limits.memory in bytes (resourceFieldRef, no divisor), got %+v", name, e)
				}
				checkProbe(t, name+" liveness", c, c.LivenessProbe, "/healthz", want.health)
				checkProbe(t, name+" readiness", c, c.ReadinessProbe, want.readiness, want.health)
				if port(c, "metrics") != want.metrics {
					t.Errorf("%s: no metrics port %d", name, want.metrics)
				}
			}
		}
	})
}

func port(c corev1.Container, name string) int32 {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

func checkProbe(t *testing.T, name string, c corev1.Container, p *corev1.Probe, path string, portNum int32) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s: want an HTTP probe on %s", name, path)
		return
	}
	got := p.HTTPGet.Port.IntVal
	if p.HTTPGet.Port.Type == intstr.String {
		got = port(c, p.HTTPGet.Port.StrVal)
	}
	if p.HTTPGet.Path != path || got != portNum {
		t.Errorf("%s: probe %s on port %d, want %s on %d", name, p.HTTPGet.Path, got, path, portNum)
	}
}

func env(c corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

func checkFieldRef(t *testing.T, name string, c corev1.Container, envName, fieldPath string) {
	t.Helper()
	e := env(c, envName)
	if e == nil || e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != fieldPath {
		t.Errorf("%s: env %s must come from fieldRef %s, got %+v", name, envName, fieldPath, e)
	}
}

func TestOperatorDeployment(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, objs []*unstructured.Unstructured) {
		d := deployment(t, objs)
		if d.Namespace != namespace {
			t.Errorf("namespace %q", d.Namespace)
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
			t.Errorf("replicas = %s, want 2", ptrString(d.Spec.Replicas))
		}
		if ru := d.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 0 {
			t.Errorf("rolling update must keep every replica until its successor is ready: %+v", ru)
		}
		spec := d.Spec.Template.Spec
		if spec.ServiceAccountName != operatorName {
			t.Errorf("serviceAccountName %q", spec.ServiceAccountName)
		}
		if len(spec.Containers) != 1 {
			t.Fatalf("%d containers, want 1", len(spec.Containers))
		}
		c := spec.Containers[0]
		for _, a := range []string{"--leader-elect=true", "--metrics-address=:8080", "--health-address=:8081"} {
			if !slices.Contains(c.Args, a) {
				t.Errorf("args %v lack %s", c.Args, a)
			}
		}
		checkFieldRef(t, "operator", c, "POD_NAMESPACE", "metadata.namespace")

		var pdbs []policyv1.PodDisruptionBudget
		for _, u := range Of(objs, "PodDisruptionBudget") {
			pdbs = append(pdbs, *MustConvert[policyv1.PodDisruptionBudget](t, u))
		}
		if len(pdbs) != 1 {
			t.Fatalf("%d PodDisruptionBudgets, want 1", len(pdbs))
		}
		pdb := pdbs[0]
		if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 1 || pdb.Spec.MaxUnavailable != nil {
			t.Errorf("PDB minAvailable = %v, maxUnavailable = %v; want minAvailable 1", pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable)
		}
		if !selects(t, pdb.Spec.Selector, d.Spec.Template.Labels) || pdb.Namespace != d.Namespace {
			t.Errorf("PDB %s/%s does not select the operator pods", pdb.Namespace, pdb.Name)
		}
	})
}

func selects(t *testing.T, sel *metav1.LabelSelector, podLabels map[string]string) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Errorf("selector %v: %v", sel, err)
		return false
	}
	return !s.Empty() && s.Matches(labels.Set(podLabels))
}

func TestAgentDaemonSet(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, objs []*unstructured.Unstructured) {
		ds := daemonSet(t, objs)
		spec := ds.Spec.Template.Spec
		if spec.NodeSelector[storageNodeLabel] != storageNodeValue {
			t.Errorf("nodeSelector %v, want %s=%s", spec.NodeSelector, storageNodeLabel, storageNodeValue)
		}
		if spec.ServiceAccountName != agentName {
			t.Errorf("serviceAccountName %q", spec.ServiceAccountName)
		}
		if spec.PriorityClassName != agentPriority {
			t.Errorf("priorityClassName %q, want %s", spec.PriorityClassName, agentPriority)
		}
		pc := MustFind[schedulingv1.PriorityClass](t, objs, "PriorityClass", agentPriority)
		// User-defined classes may not exceed 1e9; system-* classes are above.
		if pc.Value <= 0 || pc.Value > 1_000_000_000 || pc.GlobalDefault {
			t.Errorf("PriorityClass value %d globalDefault %v", pc.Value, pc.GlobalDefault)
		}
		if len(spec.Containers) != 1 {
			t.Fatalf("%d containers, want 1", len(spec.Containers))
		}
		c := spec.Containers[0]
		for _, a := range []string{"--node=$(NODE_NAME)", "--namespace=$(POD_NAMESPACE)", "--listen-address=:10124",
			"--advertise-address=$(POD_IP):10124", "--metrics-address=:10125", "--state-dir=/var/lib/diskpool-agent"} {
			if !slices.Contains(c.Args, a) {
				t.Errorf("args %v lack %s", c.Args, a)
			}
		}
		checkFieldRef(t, "agent", c, "NODE_NAME", "spec.nodeName")
		checkFieldRef(t, "agent", c, "POD_NAMESPACE", "metadata.namespace")
		checkFieldRef(t, "agent", c, "POD_IP", "status.podIP")
		if port(c, "grpc") != 10124 {
			t.Errorf("no grpc port 10124")
		}
		var dev bool
		for _, v := range spec.Volumes {
			if v.HostPath != nil && v.HostPath.Path == "/dev" {
				for _, m := range c.VolumeMounts {
					dev = dev || (m.Name == v.Name && m.MountPath == "/dev")
				}
			}
		}
		if !dev {
			t.Error("host /dev is not mounted at /dev: disks attached after start would stay invisible")
		}
	})
}

// TestMutualTLS: every shipped overlay gives the operator a client
// certificate and the agents a serving certificate plus the CA that verifies
// clients, from mounted Secrets; no overlay turns TLS off.
func TestMutualTLS(t *testing.T) {
	const dir = "/etc/diskpool/tls/"
	forEachOverlay(t, func(t *testing.T, objs []*unstructured.Unstructured) {
		for key, tmpl := range podTemplates(t, objs) {
			for _, c := range tmpl.Spec.Containers {
				for _, a := range c.Args {
					if strings.Contains(a, "insecure") {
						t.Errorf("%s: %s: plaintext is for local development only, never in a shipped overlay", key, a)
					}
				}
			}
		}
		op := deployment(t, objs).Spec.Template.Spec
		checkTLSFiles(t, "operator", op, "diskpool-operator-tls", dir, map[string]string{
			"--agent-tls-cert-file=": "tls.crt",
			"--agent-tls-key-file=":  "tls.key",
			"--agent-tls-ca-file=":   "ca.crt",
		})
		if !slices.Contains(op.Containers[0].Args, "--agent-tls-server-name=diskpool-agent") {
			t.Error("operator: no --agent-tls-server-name=diskpool-agent (agents are dialled by IP)")
		}
		checkTLSFiles(t, "agent", daemonSet(t, objs).Spec.Template.Spec, "diskpool-agent-tls", dir, map[string]string{
			"--tls-cert-file=":      "tls.crt",
			"--tls-key-file=":       "tls.key",
			"--tls-client-ca-file=": "ca.crt",
		})
		if certs := Of(objs, "Certificate"); len(certs) > 0 {
			checkCertificates(t, certs)
		}
	})
}

// checkTLSFiles checks that each flag names a file in dir, and that dir is
// the read-only mount of the Secret secretName.
func checkTLSFiles(t *testing.T, name string, spec corev1.PodSpec, secretName, dir string, flags map[string]string) {
	t.Helper()
	c := spec.Containers[0]
	for flag, file := range flags {
		if !slices.Contains(c.Args, flag+dir+file) {
			t.Errorf("%s: no %s%s%s in %v", name, flag, dir, file, c.Args)
		}
	}
	var vol string
	for _, v := range spec.Volumes {
		if v.Secret != nil && v.Secret.SecretName == secretName {
			vol = v.Name
		}
	}
	for _, m := range c.VolumeMounts {
		if m.Name == vol && m.MountPath+"/" == dir && m.ReadOnly {
			return
		}
	}
	t.Errorf("%s: Secret %s is not mounted read-only at %s", name, secretName, dir)
}

func checkCertificates(t *testing.T, certs []*unstructured.Unstructured) {
	t.Helper()
	want := map[string]struct {
		usage    string
		dnsName  string
		issuer   string
		isCA     bool
		duration bool
	}{
		"diskpool-ca":           {"", "", "diskpool-selfsigned", true, true},
		"diskpool-agent-tls":    {"server auth", "diskpool-agent", "diskpool-ca", false, true},
		"diskpool-operator-tls": {"client auth", "", "diskpool-ca", false, true},
	}
	for _, u := range certs {
		w, ok := want[u.GetName()]
		if !ok {
			t.Errorf("unexpected Certificate %s", u.GetName())
			continue
		}
		secret, _, _ := unstructured.NestedString(u.Object, "spec", "secretName")
		issuer, _, _ := unstructured.NestedString(u.Object, "spec", "issuerRef", "name")
		isCA, _, _ := unstructured.NestedBool(u.Object, "spec", "isCA")
		usages, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "usages")
		dnsNames, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "dnsNames")
		if secret != u.GetName() || issuer != w.issuer || isCA != w.isCA {
			t.Errorf("Certificate %s: secretName %q issuer %q isCA %v", u.GetName(), secret, issuer, isCA)
		}
		if w.usage != "" && !slices.Contains(usages, w.usage) {
			t.Errorf("Certificate %s: usages %v lack %q", u.GetName(), usages, w.usage)
		}
		if w.dnsName != "" && !slices.Contains(dnsNames, w.dnsName) {
			t.Errorf("Certificate %s: dnsNames %v lack %q", u.GetName(), dnsNames, w.dnsName)
		}
	}
}

// TestServices: each metrics Service selects the pods it is for, on a port
// they declare, and every ServiceMonitor selects a Service port that exists.
func TestServices(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, objs []*unstructured.Unstructured) {
		templates := podTemplates(t, objs)
		services := map[string]corev1.Service{}
		for _, u := range Of(objs, "Service") {
			svc := MustConvert[corev1.Service](t, u)
			services[svc.Name] = *svc
			matched := 0
			for key, tmpl := range templates {
				if !selects(t, &metav1.LabelSelector{MatchLabels: svc.Spec.Selector}, tmpl.Labels) {
					continue
				}
				matched++
				for _, p := range svc.Spec.Ports {
					if p.TargetPort.Type != intstr.String || port(tmpl.Spec.Containers[0], p.TargetPort.StrVal) == 0 {
						t.Errorf("Service %s port %s: targetPort %v is not a named port of %s", svc.Name, p.Name, p.TargetPort.String(), key)
					}
				}
			}
			if matched != 1 {
				t.Errorf("Service %s selects %d workloads, want 1", svc.Name, matched)
			}
		}
		for _, want := range []string{operatorName + "-metrics", agentName + "-metrics"} {
			if _, ok := services[want]; !ok {
				t.Errorf("no Service %s", want)
			}
		}
		for _, u := range Of(objs, "ServiceMonitor") {
			sel, _, _ := unstructured.NestedStringMap(u.Object, "spec", "selector", "matchLabels")
			eps, _, _ := unstructured.NestedSlice(u.Object, "spec", "endpoints")
			var hits []string
			for name, svc := range services {
				if svc.Namespace == u.GetNamespace() && labels.SelectorFromSet(sel).Matches(labels.Set(svc.Labels)) && len(sel) > 0 {
					hits = append(hits, name)
					for _, ep := range eps {
						p, _ := ep.(map[string]any)["port"].(string)
						if !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Name == p }) {
							t.Errorf("ServiceMonitor %s: port %q not on Service %s", u.GetName(), p, name)
						}
					}
				}
			}
			if len(hits) != 1 {
				t.Errorf("ServiceMonitor %s selects Services %v, want exactly one", u.GetName(), hits)
			}
		}
	})
}

// TestNamespaced: everything namespaced lives in diskpool-system, so one
// namespace holds (and `kubectl delete -k` removes) the whole install.
func TestNamespaced(t *testing.T) {
	clusterScoped := map[string]bool{
		"Namespace": true, "CustomResourceDefinition": true, "ClusterRole": true,
		"ClusterRoleBinding": true, "PriorityClass": true,
		"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
		"MutatingAdmissionPolicy": true, "MutatingAdmissionPolicyBinding": true,
		"FlowSchema": true,
	}
	forEachOverlay(t, func(t *testing.T, objs []*unstructured.Unstructured) {
		for _, o := range objs {
			want := namespace
			if clusterScoped[o.GetKind()] {
				want = ""
			}
			if o.GetNamespace() != want {
				t.Errorf("%s: namespace %q, want %q", Key(o), o.GetNamespace(), want)
			}
		}
	})
}

func ExampleKey() {
	u := &unstructured.Unstructured{}
	u.SetKind("Role")
	u.SetNamespace(namespace)
	u.SetName(agentName)
	fmt.Println(Key(u))
	// Output: Role/diskpool-system/diskpool-agent
}

func ptrString[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}
