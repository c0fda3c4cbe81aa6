// Command hello is built by BuildBinary's test: it prints its arguments and
// the HELLO_GREETING environment variable.
package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	fmt.Printf("%s %s\n", os.Getenv("HELLO_GREETING"), strings.Join(os.Args[1:], " "))
}
