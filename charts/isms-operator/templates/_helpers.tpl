{{/* The release's full name, used for every object the chart creates. */}}
{{- define "isms-operator.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "isms-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "isms-operator.labels" -}}
{{ include "isms-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "isms-operator.serviceAccountName" -}}
{{- default (include "isms-operator.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The rating bands as the operator's --rating-bands flag. */}}
{{- define "isms-operator.ratingBands" -}}
{{- with .Values.ratingBands -}}
Low={{ .low }},Moderate={{ .moderate }},High={{ .high }},Extreme={{ .extreme }}
{{- end -}}
{{- end -}}

{{/* The webhook server's certificate Secret. */}}
{{- define "isms-operator.webhookSecret" -}}
{{ include "isms-operator.fullname" . }}-webhook-tls
{{- end -}}
