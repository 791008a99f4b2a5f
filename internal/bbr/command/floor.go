package command

// heapFloorBytes is a block of memory bbr allocates at start and never
// touches. Go sets the next collection at twice the live heap, at least
// 4 MB; bbr starts with about 1.2 MB live (protobuf descriptors, client-go,
// Prometheus), most of it pointers the collector must mark every cycle, so
// small requests paid more for collection than for routing. Counted as live
// heap, the block moves the next collection further away, which only matters
// while the heap is small; it holds no pointers, so marking it is free, and
// its pages are never written, so it adds to virtual size and barely to RSS
// (idle RSS 24.3 MB against 23.3 MB without it).
// (GOGC=200 buys the same for small requests but lets a heap of large bodies
// grow to three times its live size instead of two.)
const heapFloorBytes = 4 << 20
