// Command empty is an empty Go program: the lab benchmark's reference for
// process start to exit.
package main

func main() {}
