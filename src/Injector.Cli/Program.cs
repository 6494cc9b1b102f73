using Injector.Cli;
using Injector.Configuration;

// appmesh-inject: offline injection with the webhook's engine. Exit codes: 0 handled, 1 invalid or denied documents, 2 usage errors.
return CliApp.Run(args, Console.OpenStandardInput(), Console.Out, Console.Error, EnvironmentVariables.ToDictionary(Environment.GetEnvironmentVariables()));
