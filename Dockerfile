# syntax=docker/dockerfile:1
# appmesh-inject webhook image: build with the .NET SDK, run on the chiseled ASP.NET runtime
# (no shell, no package manager) as a numeric non-root user.
#   docker build -t appmesh-inject-webhook .
#   docker buildx build --platform linux/amd64,linux/arm64 -t REGISTRY/appmesh-inject-webhook:TAG --push .

# The SDK runs on the builder's own platform and compiles for the target's (TARGETARCH: amd64 or arm64, set by
# BuildKit), so an arm64 image for Graviton nodes builds without emulation.
FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TARGETARCH
WORKDIR /src
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/ src/
# ReadyToRun: the webhook's assemblies and its packages' carry native code for TARGETARCH, so a new replica
# answers its first review sooner (docs/performance.md, "Start-up"). .ci/run runs this same publish command
# for both architectures (into other folders), so a broken image build fails CI.
RUN dotnet publish src/Injector.Webhook -c Release -a $TARGETARCH --self-contained false -p:PublishReadyToRun=true -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled AS runtime
WORKDIR /app
COPY --from=build /app ./
# The webhook listens on --port (8443) with TLS, and on --metrics-port (the chart sets 8080) with plain HTTP
# for /metrics, /healthz and /readyz only; no plain-HTTP port from the base image.
# (Workstation GC is set in the project, so the image runs what bench/load.sh measures.)
ENV ASPNETCORE_HTTP_PORTS=
EXPOSE 8443
USER 1654:1654
ENTRYPOINT ["dotnet", "appmesh-inject-webhook.dll"]
