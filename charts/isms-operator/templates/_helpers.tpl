{{/* The chart's name, or nameOverride. */}}
{{- define "isms-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name, used for every object the chart creates. */}}
{{- define "isms-operator.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "isms-operator.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "isms-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "isms-operator.name" . }}
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

{{/* The operator image: by digest when one is given, else by tag (the appVersion by default). */}}
{{- define "isms-operator.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/*
The rating bands as the operator's --rating-bands flag, checked first as the operator
checks them, so that bands it would refuse fail `helm install` rather than crash-loop the
pod: each band runs upwards, the bands follow Low, Moderate, High, Extreme without overlap,
and every score a 5x5 matrix can give (a product of two numbers from 1 to 5) is rated.
*/}}
{{- define "isms-operator.ratingBands" -}}
{{- $reachable := list 1 2 3 4 5 6 8 9 10 12 15 16 20 25 -}}
{{- $previous := dict -}}
{{- range $rating := list "low" "moderate" "high" "extreme" -}}
{{- $range := index $.Values.ratingBands $rating -}}
{{- $bounds := splitList "-" $range -}}
{{- $min := index $bounds 0 | atoi -}}
{{- $max := index $bounds 1 | atoi -}}
{{- if gt $min $max -}}
{{- fail (printf "ratingBands.%s %q runs backwards: write it min-max, e.g. %d-%d" $rating $range $max $min) -}}
{{- end -}}
{{- if $previous.rating -}}
{{- if le $min (int $previous.max) -}}
{{- fail (printf "ratingBands.%s %q overlaps or comes before ratingBands.%s %q: the bands must rate Low, Moderate, High, Extreme from the lowest scores up" $rating $range $previous.rating $previous.range) -}}
{{- end -}}
{{- range $score := untilStep (int (add1 $previous.max)) $min 1 -}}
{{- if has $score $reachable -}}
{{- fail (printf "ratingBands: no band rates score %d (between ratingBands.%s %q and ratingBands.%s %q); every score a 5x5 matrix can give (1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 20, 25) must be rated" $score $previous.rating $previous.range $rating $range) -}}
{{- end -}}
{{- end -}}
{{- else if ne $min 1 -}}
{{- fail (printf "ratingBands.low %q must start at score 1" $range) -}}
{{- end -}}
{{- $previous = dict "rating" $rating "range" $range "max" $max -}}
{{- end -}}
{{- if ne (int $previous.max) 25 -}}
{{- fail (printf "ratingBands.extreme %q must end at score 25" $previous.range) -}}
{{- end -}}
{{- with .Values.ratingBands -}}
Low={{ .low }},Moderate={{ .moderate }},High={{ .high }},Extreme={{ .extreme }}
{{- end -}}
{{- end -}}

{{/* The webhook server's certificate Secret. */}}
{{- define "isms-operator.webhookSecret" -}}
{{ include "isms-operator.fullname" . }}-webhook-tls
{{- end -}}

{{/* The webhook's Service. */}}
{{- define "isms-operator.webhookService" -}}
{{ include "isms-operator.fullname" . }}-webhook
{{- end -}}
