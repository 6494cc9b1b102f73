module appmesh-inject/goclient

go 1.19
