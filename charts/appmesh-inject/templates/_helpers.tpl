{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "appmesh-inject.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name used for every object and the Service DNS name. */}}
{{- define "appmesh-inject.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "appmesh-inject.selectorLabels" -}}
app.kubernetes.io/name: {{ include "appmesh-inject.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "appmesh-inject.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "appmesh-inject.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "appmesh-inject.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "appmesh-inject.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Secret that holds tls.crt and tls.key. */}}
{{- define "appmesh-inject.tlsSecretName" -}}
{{- if eq .Values.tls.mode "secret" -}}
{{- required "tls.existingSecret is required with tls.mode=secret" .Values.tls.existingSecret -}}
{{- else -}}
{{- printf "%s-tls" (include "appmesh-inject.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* Names the serving certificate must carry: <svc>, <svc>.<ns>, <svc>.<ns>.svc. */}}
{{- define "appmesh-inject.dnsNames" -}}
{{- $svc := include "appmesh-inject.fullname" . -}}
{{- list $svc (printf "%s.%s" $svc .Release.Namespace) (printf "%s.%s.svc" $svc .Release.Namespace) | toJson -}}
{{- end -}}

{{/* The value of image.repository in values.yaml: not an image anyone can pull. */}}
{{- define "appmesh-inject.imagePlaceholder" -}}
<your-registry>/appmesh-inject-webhook
{{- end -}}

{{/* Checks that fail early with a message instead of rendering a broken install. */}}
{{- define "appmesh-inject.validate" -}}
{{- if not .Values.mesh.name -}}
{{- fail "mesh.name is required: the App Mesh mesh that pods join unless they carry the appmesh.k8s.aws/mesh annotation (--set mesh.name=<mesh>)" -}}
{{- end -}}
{{- if not .Values.region -}}
{{- fail "region is required: the AWS region of the mesh, given to Envoy as AWS_REGION (--set region=<region>); the chart does not guess it" -}}
{{- end -}}
{{- if eq .Values.image.repository (include "appmesh-inject.imagePlaceholder" .) -}}
{{- fail (printf "image.repository is still the placeholder %q: build and push the webhook image (docs/install.md, step 1) and --set image.repository=<registry>/appmesh-inject-webhook" .Values.image.repository) -}}
{{- end -}}
{{- if not (has .Values.tls.mode (list "generate" "certManager" "secret")) -}}
{{- fail (printf "tls.mode must be generate, certManager or secret, not %q" .Values.tls.mode) -}}
{{- end -}}
{{- if and (eq .Values.tls.mode "secret") (not .Values.tls.existingSecret) -}}
{{- fail "tls.mode=secret needs tls.existingSecret: the name of a kubernetes.io/tls secret in the release namespace" -}}
{{- end -}}
{{- if and (eq .Values.tls.mode "secret") (not .Values.tls.caBundle) (not .Values.webhook.patchCaBundle) -}}
{{- fail "tls.mode=secret needs tls.caBundle (base64 PEM of the CA) or webhook.patchCaBundle=true" -}}
{{- end -}}
{{- if eq (int .Values.metrics.port) (int .Values.containerPort) -}}
{{- fail (printf "metrics.port and containerPort are both %d: the plain-HTTP metrics port and the HTTPS port need their own numbers" (int .Values.containerPort)) -}}
{{- end -}}
{{- if has (int .Values.sidecar.envoyAdminPort) (list 15000 15001) -}}
{{- fail (printf "sidecar.envoyAdminPort %d is Envoy's %s port; choose another port (the webhook refuses it and would not start)" (int .Values.sidecar.envoyAdminPort) (ternary "ingress" "egress" (eq (int .Values.sidecar.envoyAdminPort) 15000))) -}}
{{- end -}}
{{- if not (has .Values.webhook.failurePolicy (list "Fail" "Ignore")) -}}
{{- fail (printf "webhook.failurePolicy must be Fail or Ignore, not %q" .Values.webhook.failurePolicy) -}}
{{- end -}}
{{- end -}}
