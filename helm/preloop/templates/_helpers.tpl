{{/*
Names and labels.
*/}}
{{- define "preloop.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "preloop.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "preloop.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "preloop.selectorLabels" -}}
app.kubernetes.io/name: {{ include "preloop.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "preloop.labels" -}}
helm.sh/chart: {{ include "preloop.chart" . }}
{{ include "preloop.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "preloop.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
The Secret the pods read SECRET_KEY, DATABASE_URL, REDIS_URL (and the optional keys) from.
*/}}
{{- define "preloop.secretName" -}}
{{- default (include "preloop.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{/*
SECRET_KEY: the value given, else the one already stored in the release's Secret, else a new
random one. A new one is drawn once per render (memoised in the values) so the Secret and the
migration hook's Secret agree.
*/}}
{{- define "preloop.secretKey" -}}
{{- if .Values.secrets.secretKey -}}
{{- .Values.secrets.secretKey -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "preloop.fullname" .) -}}
{{- if and $existing $existing.data (hasKey $existing.data "SECRET_KEY") -}}
{{- index $existing.data "SECRET_KEY" | b64dec -}}
{{- else -}}
{{- if not (hasKey .Values.secrets "generatedSecretKey") -}}
{{- $_ := set .Values.secrets "generatedSecretKey" (randAlphaNum 64) -}}
{{- end -}}
{{- .Values.secrets.generatedSecretKey -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The Secret's data (stringData): required keys always, optional keys when set.
*/}}
{{- define "preloop.secretData" -}}
SECRET_KEY: {{ include "preloop.secretKey" . | quote }}
DATABASE_URL: {{ required "externalDatabase.url is required (PostgreSQL with pgvector)" .Values.externalDatabase.url | quote }}
REDIS_URL: {{ required "externalRedis.url is required" .Values.externalRedis.url | quote }}
{{- with .Values.secrets.encryptionKey }}
PRELOOP_ENCRYPTION_KEY: {{ . | quote }}
{{- end }}
{{- with .Values.secrets.adminPassword }}
PRELOOP_ADMIN_PASSWORD: {{ . | quote }}
{{- end }}
{{- with .Values.secrets.pushProxyApiKey }}
PUSH_PROXY_API_KEY: {{ . | quote }}
{{- end }}
{{- with .Values.secrets.emailUrl }}
EMAIL_URL: {{ . | quote }}
{{- end }}
{{- end -}}

{{/*
PRELOOP_URL: config.url, else the first ingress host, else localhost (port-forward).
*/}}
{{- define "preloop.url" -}}
{{- if .Values.config.url -}}
{{- trimSuffix "/" .Values.config.url -}}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts -}}
{{- $host := (first .Values.ingress.hosts).host -}}
{{- $scheme := "http" -}}
{{- range .Values.ingress.tls -}}
{{- if has $host (default list .hosts) -}}
{{- $scheme = "https" -}}
{{- end -}}
{{- end -}}
{{- printf "%s://%s" $scheme $host -}}
{{- else -}}
http://localhost:8000
{{- end -}}
{{- end -}}

{{- define "preloop.urlHostname" -}}
{{- (urlParse (include "preloop.url" .)).hostname | default "localhost" -}}
{{- end -}}

{{/*
ALLOWED_HOSTS: config.allowedHosts, the host of PRELOOP_URL, the ingress hosts and the Service's
in-cluster names.
*/}}
{{- define "preloop.allowedHosts" -}}
{{- $fullname := include "preloop.fullname" . -}}
{{- $ns := .Release.Namespace -}}
{{- $hosts := concat (.Values.config.allowedHosts | default list) (list (include "preloop.urlHostname" .)) -}}
{{- if .Values.ingress.enabled -}}
{{- range .Values.ingress.hosts -}}
{{- $hosts = append $hosts .host -}}
{{- end -}}
{{- end -}}
{{- $hosts = concat $hosts (list $fullname (printf "%s.%s" $fullname $ns) (printf "%s.%s.svc" $fullname $ns) (printf "%s.%s.svc.cluster.local" $fullname $ns)) -}}
{{- $hosts | uniq | join "," -}}
{{- end -}}

{{/*
The ConfigMap's data: every non-secret setting.
*/}}
{{- define "preloop.configData" -}}
ENVIRONMENT: "production"
PRELOOP_URL: {{ include "preloop.url" . | quote }}
ALLOWED_HOSTS: {{ include "preloop.allowedHosts" . | quote }}
{{- with .Values.config.csrfTrustedOrigins }}
CSRF_TRUSTED_ORIGINS: {{ join "," . | quote }}
{{- end }}
PRELOOP_PORT: "8000"
PRELOOP_BIND_ADDRESS: "0.0.0.0"
PRELOOP_DATA_DIR: "/var/lib/preloop"
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
REGISTRATION_ENABLED: {{ .Values.config.registrationEnabled | toString | quote }}
{{- with .Values.config.adminEmail }}
PRELOOP_ADMIN_EMAIL: {{ . | quote }}
{{- end }}
DEFAULT_FROM_EMAIL: {{ .Values.config.defaultFromEmail | quote }}
{{- with .Values.config.pushProxyUrl }}
PUSH_PROXY_URL: {{ . | quote }}
{{- end }}
PRELOOP_DISABLE_TELEMETRY: {{ .Values.config.disableTelemetry | toString | quote }}
DISABLE_VERSION_CHECK: {{ .Values.config.disableVersionCheck | toString | quote }}
PRELOOP_WORKER_PROCESSES: {{ .Values.worker.processes | toString | quote }}
PRELOOP_WORKER_THREADS: {{ .Values.worker.threads | toString | quote }}
{{- range $key, $value := .Values.config.extraEnv }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/*
Pod-level pieces shared by every role. Call with (dict "root" $ "component" "web").
*/}}
{{- define "preloop.podMeta" -}}
labels:
  {{- include "preloop.selectorLabels" .root | nindent 2 }}
  app.kubernetes.io/component: {{ .component }}
  {{- with .root.Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
annotations:
  checksum/config: {{ include "preloop.configData" .root | sha256sum }}
  {{- if not .root.Values.existingSecret }}
  checksum/secret: {{ include "preloop.secretData" .root | sha256sum }}
  {{- end }}
  {{- with .root.Values.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{- define "preloop.podSpecCommon" -}}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir: {}
  - name: data
    emptyDir: {}
{{- end -}}

{{- define "preloop.containerCommon" -}}
image: {{ include "preloop.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
envFrom:
  - configMapRef:
      name: {{ include "preloop.fullname" . }}
  - secretRef:
      name: {{ include "preloop.secretName" . }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  - name: data
    mountPath: /var/lib/preloop
{{- end -}}
