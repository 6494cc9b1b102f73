using System.Collections;
using Injector.Cli;

// appmesh-inject: offline injection with the webhook's engine. Exit codes: 0 handled, 1 invalid or denied documents, 2 usage errors.
var environment = new Dictionary<string, string>();
foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables()) environment[(string)entry.Key] = (string?)entry.Value ?? "";
return CliApp.Run(args, Console.In, Console.Out, Console.Error, environment);
