// A ceiling for the fused kernel written by hand in C with AVX-512 intrinsics, to tell what
// this machine allows: per row, Σ 2^y, Σ 2^y y and Σ 2^{2y} (log-sum-exp, entropy, collision)
// with a degree-5 polynomial exp2 on [-1/2, 1/2] ("poly", the Swift kernel's exp2 until
// 2026-11-23) or the Swift kernel's present exp2 ("table": a 32-entry table by vpermt2ps
// holding bits(2^{j/32}) - j*2^18, 2^n added to the exponent bits by a shift and an integer
// add, a degree-2 polynomial on [-1/64, 1/64]), 4 accumulator sets, software prefetch
// 32 KiB ahead. It cheats in the kernel's favour: each row's maximum is computed beforehand
// and handed over (no max pass, no comparisons), so it is an upper bound, not an alternative.
// The read bound is measured in the same rounds.
// Build: gcc -O3 -march=native -fopenmp poly_exp_ceiling.c -lm; run with OMP_NUM_THREADS=1|2.
// Usage: ./a.out [T V]; one JSON line per measurement (best of 8 interleaved rounds).
#ifdef __AVX512F__
#include <immintrin.h>
#endif
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
#ifdef __AVX512F__
static float T32[32]; // bits(float(2^{j/32})) - j*2^18, as float bit patterns
static inline __m512 exp2p(__m512 y){
  const __m512 sh=_mm512_set1_ps(12582912.f);
  __m512 t=_mm512_add_ps(y,sh); __m512 f=_mm512_sub_ps(y,_mm512_sub_ps(t,sh));
  __m512 p=_mm512_set1_ps(0.001326472731307149f);
  p=_mm512_fmadd_ps(p,f,_mm512_set1_ps(0.009671512991189957f));
  p=_mm512_fmadd_ps(p,f,_mm512_set1_ps(0.05550733581185341f));
  p=_mm512_fmadd_ps(p,f,_mm512_set1_ps(0.24022242426872253f));
  p=_mm512_fmadd_ps(p,f,_mm512_set1_ps(0.6931470036506653f));
  p=_mm512_fmadd_ps(p,f,_mm512_set1_ps(1.f));
  return _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(p),_mm512_slli_epi32(_mm512_castps_si512(t),23)));
}
static inline __m512 exp2t(__m512 y, __m512 tlo, __m512 thi){
  const __m512 sh=_mm512_set1_ps(393216.f);
  __m512 t=_mm512_add_ps(y,sh); __m512 k=_mm512_sub_ps(t,sh); __m512 r=_mm512_sub_ps(y,k);
  __m512i ti=_mm512_castps_si512(t);
  __m512 tab=_mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(_mm512_permutex2var_ps(tlo,ti,thi)),_mm512_slli_epi32(ti,18)));
  __m512 p=_mm512_fmadd_ps(r,_mm512_set1_ps(0.24022475f),_mm512_set1_ps(0.6931573f));
  return _mm512_fmadd_ps(_mm512_mul_ps(tab,r),p,tab);
}
static double row(const float*x,int n,float m,int tab){
  __m512 cv=_mm512_set1_ps(1.4426950f), off=_mm512_set1_ps(-1.4426950f*m), lo=_mm512_set1_ps(-127.f);
  __m512 tlo=_mm512_loadu_ps(T32), thi=_mm512_loadu_ps(T32+16);
  __m512 s[4],t[4],q[4];
  for(int k=0;k<4;k++){s[k]=t[k]=q[k]=_mm512_setzero_ps();}
  int i=0;
  for(;i+64<=n;i+=64){
    _mm_prefetch((const char*)(x+i+8192),_MM_HINT_T0); _mm_prefetch((const char*)(x+i+8192+16),_MM_HINT_T0);
    _mm_prefetch((const char*)(x+i+8192+32),_MM_HINT_T0); _mm_prefetch((const char*)(x+i+8192+48),_MM_HINT_T0);
    #pragma GCC unroll 4
    for(int k=0;k<4;k++){
      __m512 v=_mm512_loadu_ps(x+i+16*k);
      __m512 y=_mm512_max_ps(_mm512_fmadd_ps(v,cv,off),lo);
      __m512 e=tab?exp2t(y,tlo,thi):exp2p(y);
      s[k]=_mm512_add_ps(s[k],e); t[k]=_mm512_fmadd_ps(e,y,t[k]); q[k]=_mm512_fmadd_ps(e,e,q[k]);
    }
  }
  float S=_mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s[0],s[1]),_mm512_add_ps(s[2],s[3])));
  float Tt=_mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(t[0],t[1]),_mm512_add_ps(t[2],t[3])));
  float Q=_mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(q[0],q[1]),_mm512_add_ps(q[2],q[3])));
  return log(S) - 0.693147*Tt/S + Q/((double)S*S);
}
#endif
int main(int argc,char**argv){
#ifndef __AVX512F__
  printf("{\"impl\": \"c-avx512-ceiling\", \"skipped\": \"no AVX-512 on this machine\"}\n");
  return 0;
#else
  int T=argc>2?atoi(argv[1]):1024, V=argc>2?atoi(argv[2]):151936; size_t n=(size_t)T*V;
  for(int j=0;j<32;j++){ union{float f; int i;} u; u.f=(float)exp2(j/32.0); u.i-=j<<18; T32[j]=u.f; }
  float*a=aligned_alloc(2<<20,n*4); madvise(a,n*4,MADV_HUGEPAGE);
  unsigned x=12345; for(size_t i=0;i<n;i++){ x=x*1664525u+1013904223u; a[i]=((x>>8)*(1.0f/16777216.0f)-0.5f)*12.0f; }
  float*mx=malloc(T*4); for(int r=0;r<T;r++){ float m=-INFINITY; for(int j=0;j<V;j++) if(a[(size_t)r*V+j]>m)m=a[(size_t)r*V+j]; mx[r]=m; }
  int nt=omp_get_max_threads();
  double bb=0,bp=0,bt=0; volatile double sink=0;
  for(int round=0;round<8;round++){
    double t0=now(), s=0;
    #pragma omp parallel for reduction(+:s) schedule(static)
    for(int r=0;r<T;r++){ const float*x=a+(size_t)r*V; __m512 a0=_mm512_setzero_ps(),a1=a0,a2=a0,a3=a0; int i=0;
      for(;i+64<=V;i+=64){ a0=_mm512_add_ps(a0,_mm512_loadu_ps(x+i)); a1=_mm512_add_ps(a1,_mm512_loadu_ps(x+i+16)); a2=_mm512_add_ps(a2,_mm512_loadu_ps(x+i+32)); a3=_mm512_add_ps(a3,_mm512_loadu_ps(x+i+48)); }
      s+=_mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0,a1),_mm512_add_ps(a2,a3))); }
    double d=now()-t0; sink=s; if(n*4/d/1e9>bb) bb=n*4/d/1e9;
    for(int tab=0;tab<2;tab++){
      t0=now(); double acc=0;
      #pragma omp parallel for reduction(+:acc) schedule(static)
      for(int r=0;r<T;r++) acc+=row(a+(size_t)r*V,V,mx[r],tab);
      d=now()-t0; sink=acc; double g=n*4/d/1e9; if(tab){ if(g>bt)bt=g; } else { if(g>bp)bp=g; }
    }
  }
  printf("{\"impl\": \"c-avx512-ceiling-read-bound\", \"T\": %d, \"V\": %d, \"threads\": %d, \"GBps\": %.2f}\n",T,V,nt,bb);
  printf("{\"impl\": \"c-avx512-ceiling-poly\", \"T\": %d, \"V\": %d, \"threads\": %d, \"GBps\": %.2f}\n",T,V,nt,bp);
  printf("{\"impl\": \"c-avx512-ceiling-table\", \"T\": %d, \"V\": %d, \"threads\": %d, \"GBps\": %.2f}\n",T,V,nt,bt);
  return 0;
#endif
}
