$TITLE Closed 2x2 economy with a monopoly producer of X (after Markusen's M51-MCP)
$ONTEXT
J. R. Markusen's teaching model M51 (MCP version): X is produced by a monopolist who sets marginal revenue
equal to marginal cost (a markup of 1/(SIGMA - (SIGMA - 1) SHAREX) on price), Y competitively, W is a CES
welfare index. Benchmark (activity levels 1):

                 X      Y      W    |  CONS  ENTRE
        PX     100           -100   |
        PY            100    -100   |
        PU                    200   |  -180    -20
        PW     -32    -60           |    92
        PZ     -48    -40           |    88
        MK     -20                  |            20

The first solve replicates the benchmark: X = Y = W = 1, PX = 1.25, PY = PU = PZ = PW = 1, CONS = 180,
ENTRE = 20, MARKUP = 0.2, SHAREX = 0.5 (Y's price is the numeraire).

Written for sharedeq after examples/Markusen_Examples/Chapter_05/M51-MCP.gms of MPSGE.jl.
$OFFTEXT

PARAMETERS
   A      'scale of the welfare function'
   SIGMA  'elasticity of substitution'
   ENDOWS 'skilled labor endowment'
   ENDOWL 'unskilled labor endowment';
SIGMA  = 9;
ENDOWS = 88;
ENDOWL = 92;
A = 0.5**(1/(1 - SIGMA));

POSITIVE VARIABLES X, Y, W, PX, PY, PU, PZ, PW, CONS, ENTRE, SHAREX, MARKUP;

EQUATIONS
   DX     'demand for X'
   DY     'demand for Y'
   DW     'demand for W'
   PRICEX 'marginal revenue = marginal cost in X'
   PRICEY 'zero profit for Y'
   PRICEW 'zero profit for W'
   SKLAB  'skilled labor market'
   UNLAB  'unskilled labor market'
   ICONS  'factor owners income'
   IENTRE 'monopoly profit'
   SHX    'expenditure share of X'
   MK     'markup';

PRICEX.. (PW**0.40)*(PZ**0.60) =G= PX*(1 - MARKUP);
PRICEY.. (PW**0.60)*(PZ**0.40) =G= PY;
PRICEW.. A*((PX/1.25)**(1 - SIGMA) + PY**(1 - SIGMA))**(1/(1 - SIGMA)) =G= PU;
DX..     X*80 =E= A*(PX/1.25)**(-SIGMA)*((PX/1.25)**(1 - SIGMA) + PY**(1 - SIGMA))**(SIGMA/(1 - SIGMA))
                  *W*200/1.25;
DY..     Y*100 =E= A*PY**(-SIGMA)*((PX/1.25)**(1 - SIGMA) + PY**(1 - SIGMA))**(SIGMA/(1 - SIGMA))*W*200;
DW..     W*200 =E= (CONS + ENTRE)/PU;
SKLAB..  ENDOWS =E= 0.40*(PW**0.60)*(PZ**(0.40 - 1))*Y*100 + 0.60*(PW**0.40)*(PZ**(0.60 - 1))*X*80;
UNLAB..  ENDOWL =E= 0.60*(PW**(0.60 - 1))*(PZ**0.40)*Y*100 + 0.40*(PW**(0.40 - 1))*(PZ**0.60)*X*80;
ICONS..  CONS =E= PZ*ENDOWS + PW*ENDOWL;
IENTRE.. ENTRE =E= MARKUP*PX*X*80;
SHX..    SHAREX =E= 80*PX*X/(80*PX*X + 100*PY*Y);
MK..     MARKUP =E= 1/(SIGMA - (SIGMA - 1)*SHAREX);

MODEL M51 / DX.PX, DY.PY, DW.PU, PRICEX.X, PRICEY.Y, PRICEW.W, SKLAB.PZ, UNLAB.PW, ICONS.CONS,
            IENTRE.ENTRE
            SHX.SHAREX, MK.MARKUP /;
OPTION LIMROW = 0, LIMCOL = 0;

OPTION MCP=MILES;
$OFFSYMLIST OFFSYMXREF OFFUELLIST OFFUELXREF
X.L = 1; Y.L = 1; W.L = 1;
PX.L = 1.25; PY.L = 1; PZ.L = 1; PW.L = 1; PU.L = 1;
CONS.L = 180; ENTRE.L = 20; SHAREX.L = 0.5; MARKUP.L = 0.20;
PY.FX = 1;

SOLVE M51 USING MCP;
