namespace Injector.Core; public static class Placeholder {}
