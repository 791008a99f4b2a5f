//go:build amd64 && !purego

#include "textflag.h"

// func skipPlainAVX2(p []byte, esc *[256]bool) int
//
// Returns the index of the first byte of p the state machine must see: a
// quote, a control character, or a backslash that does not start a
// complete two-byte escape (esc marks the characters that may follow one).
// Complete two-byte escapes are passed over here, since prompts are full of
// \n and \". It stops at the last 32-byte boundary and returns that index
// when nothing was found; the caller scans the tail.
//
// Every vector instruction here is VEX-encoded (VMOVQ, not MOVQ, into X
// registers): a legacy SSE instruction while the upper halves of the YMM
// registers may be dirty costs a state transition of about a thousand cycles
// per call, which made a body with a \u escape every line scan at 0.2 GB/s.
TEXT ·skipPlainAVX2(SB), NOSPLIT, $0-40
	MOVQ p_base+0(FP), SI
	MOVQ p_len+8(FP), DI
	MOVQ esc+24(FP), R8
	XORQ DX, DX
	MOVQ $0x2222222222222222, AX
	VMOVQ AX, X1
	VPBROADCASTB X1, Y1
	MOVQ $0x5c5c5c5c5c5c5c5c, AX
	VMOVQ AX, X3
	VPBROADCASTB X3, Y3
	MOVQ $0x1f1f1f1f1f1f1f1f, AX
	VMOVQ AX, X5
	VPBROADCASTB X5, Y5

block:
	MOVQ DI, AX
	SUBQ DX, AX
	CMPQ AX, $32
	JB   done
	VMOVDQU (SI)(DX*1), Y0
	VPCMPEQB Y0, Y1, Y2
	VPCMPEQB Y0, Y3, Y4
	VPOR     Y2, Y4, Y2
	VPMINUB  Y0, Y5, Y6
	VPCMPEQB Y6, Y0, Y6
	VPOR     Y2, Y6, Y2
	VPMOVMSKB Y2, BX
	TESTL BX, BX
	JZ    next

special:
	BSFL BX, R9
	LEAQ (DX)(R9*1), R10
	MOVBLZX (SI)(R10*1), R11
	CMPQ R11, $0x5c
	JNE  found
	LEAQ 1(R10), R12
	CMPQ R12, DI
	JAE  found
	MOVBLZX (SI)(R12*1), R13
	MOVBLZX (R8)(R13*1), R13
	TESTQ R13, R13
	JZ   found
	// A complete escape: drop it and the character it escapes from the
	// mask, or restart past it when it reaches into the next block.
	LEAQ 2(R9), CX
	CMPQ CX, $32
	JAE  restart
	SHRL CX, BX
	SHLL CX, BX
	TESTL BX, BX
	JNZ  special

next:
	ADDQ $32, DX
	JMP  block

restart:
	LEAQ 2(R10), DX
	JMP  block

found:
	VZEROUPPER
	MOVQ R10, ret+32(FP)
	RET

done:
	VZEROUPPER
	MOVQ DX, ret+32(FP)
	RET
