//go:build amd64 && !purego

#include "textflag.h"

// One step p of the 6×16 tile: two vectors of the B panel's row p, six
// broadcasts of the A panel's column p, twelve fused multiply-adds.
// Y0..Y11 hold the tile: row i in Y(2i) (columns 0-7) and Y(2i+1) (8-15).
#define STEP(ao, b0, b1) \
	VMOVUPS       b0, Y12;          \
	VMOVUPS       b1, Y13;          \
	VBROADCASTSS  ao(AX), Y14;      \
	VFMADD231PS   Y12, Y14, Y0;     \
	VFMADD231PS   Y13, Y14, Y1;     \
	VBROADCASTSS  ao+4(AX), Y15;    \
	VFMADD231PS   Y12, Y15, Y2;     \
	VFMADD231PS   Y13, Y15, Y3;     \
	VBROADCASTSS  ao+8(AX), Y14;    \
	VFMADD231PS   Y12, Y14, Y4;     \
	VFMADD231PS   Y13, Y14, Y5;     \
	VBROADCASTSS  ao+12(AX), Y15;   \
	VFMADD231PS   Y12, Y15, Y6;     \
	VFMADD231PS   Y13, Y15, Y7;     \
	VBROADCASTSS  ao+16(AX), Y14;   \
	VFMADD231PS   Y12, Y14, Y8;     \
	VFMADD231PS   Y13, Y14, Y9;     \
	VBROADCASTSS  ao+20(AX), Y15;   \
	VFMADD231PS   Y12, Y15, Y10;    \
	VFMADD231PS   Y13, Y15, Y11

// Full row, C = alpha*acc.
#define SETROW(r0, r1) \
	VMULPS  Y15, r0, r0;  \
	VMOVUPS r0, (DX);     \
	VMULPS  Y15, r1, r1;  \
	VMOVUPS r1, 32(DX);   \
	ADDQ    SI, DX

// Full row, C = fma(alpha, acc, C).
#define ADDROW(r0, r1) \
	VMOVUPS     (DX), Y12;      \
	VFMADD231PS Y15, r0, Y12;   \
	VMOVUPS     Y12, (DX);      \
	VMOVUPS     32(DX), Y13;    \
	VFMADD231PS Y15, r1, Y13;   \
	VMOVUPS     Y13, 32(DX);    \
	ADDQ        SI, DX

// Masked row (lane masks in Y13, Y14), C = alpha*acc; stop after rows.
#define SETROWM(r0, r1) \
	VMULPS     Y15, r0, r0;        \
	VMASKMOVPS r0, Y13, (DX);      \
	VMULPS     Y15, r1, r1;        \
	VMASKMOVPS r1, Y14, 32(DX);    \
	ADDQ       SI, DX;             \
	DECQ       R8;                 \
	JZ         done

// Masked row, C = fma(alpha, acc, C); stop after rows.
#define ADDROWM(r0, r1) \
	VMASKMOVPS  (DX), Y13, Y12;    \
	VFMADD231PS Y15, r0, Y12;      \
	VMASKMOVPS  Y12, Y13, (DX);    \
	VMASKMOVPS  32(DX), Y14, Y12;  \
	VFMADD231PS Y15, r1, Y12;      \
	VMASKMOVPS  Y12, Y14, 32(DX);  \
	ADDQ        SI, DX;            \
	DECQ        R8;                \
	JZ          done

// func kern6x16(k int, a, b *float32, ldb int, c *float32, ldc int, alpha float32, accum bool, rows int, mask *int32)
TEXT ·kern6x16(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ ldb+24(FP), R11
	SHLQ $2, R11
	LEAQ (R11)(R11*2), R12

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	CMPQ CX, $4
	JLT  tail

loop4:
	STEP(0, (BX), 32(BX))
	STEP(24, (BX)(R11*1), 32(BX)(R11*1))
	STEP(48, (BX)(R11*2), 32(BX)(R11*2))
	STEP(72, (BX)(R12*1), 32(BX)(R12*1))
	ADDQ $96, AX
	LEAQ (BX)(R11*4), BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop4

tail:
	TESTQ CX, CX
	JZ    store

loop1:
	STEP(0, (BX), 32(BX))
	ADDQ $24, AX
	ADDQ R11, BX
	DECQ CX
	JNZ  loop1

store:
	VBROADCASTSS alpha+48(FP), Y15
	MOVQ         c+32(FP), DX
	MOVQ         ldc+40(FP), SI
	SHLQ         $2, SI
	MOVBLZX      accum+52(FP), R9
	MOVQ         mask+64(FP), DI
	TESTQ        DI, DI
	JNZ          masked

	TESTQ R9, R9
	JNZ   fulladd
	SETROW(Y0, Y1)
	SETROW(Y2, Y3)
	SETROW(Y4, Y5)
	SETROW(Y6, Y7)
	SETROW(Y8, Y9)
	SETROW(Y10, Y11)
	JMP   done

fulladd:
	ADDROW(Y0, Y1)
	ADDROW(Y2, Y3)
	ADDROW(Y4, Y5)
	ADDROW(Y6, Y7)
	ADDROW(Y8, Y9)
	ADDROW(Y10, Y11)
	JMP   done

masked:
	VMOVDQU (DI), Y13
	VMOVDQU 32(DI), Y14
	MOVQ    rows+56(FP), R8
	TESTQ   R8, R8
	JZ      done
	TESTQ   R9, R9
	JNZ     maskedadd
	SETROWM(Y0, Y1)
	SETROWM(Y2, Y3)
	SETROWM(Y4, Y5)
	SETROWM(Y6, Y7)
	SETROWM(Y8, Y9)
	SETROWM(Y10, Y11)
	JMP     done

maskedadd:
	ADDROWM(Y0, Y1)
	ADDROWM(Y2, Y3)
	ADDROWM(Y4, Y5)
	ADDROWM(Y6, Y7)
	ADDROWM(Y8, Y9)
	ADDROWM(Y10, Y11)

done:
	VZEROUPPER
	RET
