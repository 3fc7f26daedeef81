package gatehouse

// The C library's callbacks into Go. A file with //export may only declare C
// functions in its preamble, so the trampolines that install them live in
// gateway.go; C holds a runtime/cgo.Handle, never a Go pointer.

/*
#include <stddef.h>
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

//export gatehouseAccessLog
func gatehouseAccessLog(ud unsafe.Pointer, line *C.char, n C.size_t) {
	fn := cgo.Handle(uintptr(ud)).Value().(func([]byte))
	fn(C.GoBytes(unsafe.Pointer(line), C.int(n)))
}
