using Injector.Webhook;

// appmesh-inject webhook: configuration errors exit with code 2 and a message, before anything listens.
return await WebhookHost.RunAsync(args);
