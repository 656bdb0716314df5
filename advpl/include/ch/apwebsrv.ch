// apwebsrv.ch: advmail's own include file. Web services (WSSTRUCT,
// WSSERVICE) are out of scope for advmail: nothing is defined.
