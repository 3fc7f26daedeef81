// A Go service behind gatehouse's middleware: every request is authenticated,
// authorized and rate limited by the gateway configuration before the
// handler runs, which finds the caller in its context. A module of its own,
// using the binding through require + replace (see its go.mod).
//
//	go run . -config ../../tests/vectors/bindings/gateway.json -listen 127.0.0.1:8080
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"gatehouse"
)

func main() {
	config := flag.String("config", "gateway.json", "the gateway configuration (docs/gateway.md)")
	listen := flag.String("listen", "127.0.0.1:8080", "address to serve on (port 0: any free port)")
	flag.Parse()
	doc, err := os.ReadFile(*config)
	if err != nil {
		log.Fatal(err)
	}
	gw, err := gatehouse.NewGateway(string(doc), gatehouse.GatewayOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer gw.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("/v2/orders/", func(w http.ResponseWriter, r *http.Request) {
		who := gatehouse.PrincipalFrom(r.Context())
		fmt.Fprintf(w, "order %s for %s\n", r.URL.Path[len("/v2/orders/"):], who.Subject)
	})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("listening on", ln.Addr())
	log.Fatal(http.Serve(ln, gatehouse.Middleware(gw)(mux)))
}
