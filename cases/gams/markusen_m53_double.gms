$TITLE Oligopoly with free entry, economy doubled (after Markusen's M53-MCP)
$ONTEXT
J. R. Markusen's teaching model M53 (MCP version): N Cournot firms in X with markup 1/N, free entry (each
firm pays a fixed cost in PF), Y competitive, Cobb-Douglas welfare. Benchmark:

                 X      N      Y      W    |  CONS  ENTRE
        PX     100                  -100   |
        PY                   100    -100   |
        PF             20                  |          -20
        PU                           200   |  -200
        PW     -32     -8    -60           |   100
        PZ     -48    -12    -40           |   100
        MK     -20                         |           20

The second solve doubles the endowments (ENDOW = 2): more firms enter and the markup falls.
(Y's price is the numeraire.)

Written for sharedeq after examples/Markusen_Examples/Chapter_05/M53-MCP.gms of MPSGE.jl (its second solve).
$OFFTEXT

PARAMETERS
   SIGMA 'elasticity of substitution'
   ENDOW 'endowment scale';
SIGMA = 1;
ENDOW = 2;

POSITIVE VARIABLES X, Y, W, N, PX, PY, PU, PF, PZ, PW, CONS, ENTRE, MARKUP;

EQUATIONS
   DX     'demand for X'
   DY     'demand for Y'
   DW     'demand for W'
   DF     'demand for fixed costs'
   PRICEX 'marginal revenue = marginal cost in X'
   PRICEY 'zero profit for Y'
   PRICEW 'zero profit for W'
   PRICEF 'zero profit for fixed costs'
   SKLAB  'skilled labor market'
   UNLAB  'unskilled labor market'
   ICONS  'factor owners income'
   IENTRE 'entrepreneurs profit'
   MK     'markup';

PRICEX.. (PW**0.40)*(PZ**0.60) =G= PX*(1 - MARKUP);
PRICEY.. (PW**0.60)*(PZ**0.40) =G= PY;
PRICEW.. ((PX/1.25)**0.5)*(PY**0.5) =G= PU;
PRICEF.. (PW**0.40)*(PZ**0.60) =G= PF;
DX..     X*80 =E= 0.5*CONS/PX;
DY..     Y*100 =E= 0.5*CONS/PY;
DW..     W*200 =E= CONS/PU;
DF..     N*4 =G= ENTRE/PF;
SKLAB..  100*ENDOW =E= 0.40*(PW**0.60)*(PZ**(0.40 - 1))*Y*100
                     + 0.60*(PW**0.40)*(PZ**(0.60 - 1))*X*80
                     + 0.60*(PW**0.40)*(PZ**(0.60 - 1))*N*4;
UNLAB..  100*ENDOW =E= 0.60*(PW**(0.60 - 1))*(PZ**0.40)*Y*100
                     + 0.40*(PW**(0.40 - 1))*(PZ**0.60)*X*80
                     + 0.40*(PW**(0.40 - 1))*(PZ**0.60)*N*4;
ICONS..  CONS =E= PZ*100*ENDOW + PW*100*ENDOW;
IENTRE.. ENTRE =E= MARKUP*PX*X*80;
MK..     MARKUP*N =E= 1;

MODEL M53 / DX.PX, DY.PY, DW.PU, DF.PF, PRICEX.X, PRICEY.Y, PRICEW.W, PRICEF.N, SKLAB.PZ, UNLAB.PW,
            ICONS.CONS, IENTRE.ENTRE, MK.MARKUP /;

OPTION MCP=MILES;
$OFFSYMLIST OFFSYMXREF OFFUELLIST OFFUELXREF
X.L = 1; Y.L = 1; W.L = 1; N.L = 4;
PX.L = 1.25; PY.L = 1; PZ.L = 1; PW.L = 1; PU.L = 1; PF.L = 1;
CONS.L = 180; ENTRE.L = 20; MARKUP.L = 0.20;
PY.FX = 1;

SOLVE M53 USING MCP;
