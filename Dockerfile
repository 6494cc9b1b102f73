# syntax=docker/dockerfile:1
# appmesh-inject webhook image: build with the .NET SDK, run on the chiseled ASP.NET runtime
# (no shell, no package manager) as a numeric non-root user.
#   docker build -t appmesh-inject-webhook .

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/ src/
# .ci/run runs this same publish command (into another folder), so a broken image build fails CI.
RUN dotnet publish src/Injector.Webhook -c Release -o /app

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
