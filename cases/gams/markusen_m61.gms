$TITLE External economies of scale in X (after Markusen's M61-MCP)
$ONTEXT
J. R. Markusen's teaching model M61 (MCP version): X's unit cost falls with industry output as X**(-B)
(external economies, B = 0.2), Y has constant returns, W is Cobb-Douglas. Benchmark:

                 X      Y      W    |  CONS
        PX     100           -100   |
        PY            100    -100   |
        PU                    200   |  -200
        PW     -40    -60           |   100
        PZ     -60    -40           |   100

Written for sharedeq after examples/Markusen_Examples/Chapter_06/M61-MCP.gms of MPSGE.jl (first solve).
$OFFTEXT

PARAMETERS B, ENDOWS, ENDOWL;
ENDOWS = 100;
ENDOWL = 100;
B = 0.2;

POSITIVE VARIABLES X, Y, W, PX, PY, PU, PZ, PW, CONS;

EQUATIONS DX, DY, DW, PRICEX, PRICEY, PRICEW, SKLAB, UNLAB, INCOME;

PRICEX.. (PW**0.40)*(PZ**0.60)/(X**B) =G= PX;
PRICEY.. (PW**0.60)*(PZ**0.40) =G= PY;
PRICEW.. (PX**0.50)*(PY**0.50) =G= PU;
DX..     X*100 =E= CONS/(2*PX);
DY..     Y*100 =E= CONS/(2*PY);
DW..     200*W =E= CONS/PU;
SKLAB..  ENDOWS =E= 0.40*(PW**0.60)*(PZ**(0.40 - 1))*Y*100 + 0.60*(PW**0.40)*(PZ**(0.60 - 1))*(X**(1 - B))*100;
UNLAB..  ENDOWL =E= 0.60*(PW**(0.60 - 1))*(PZ**0.40)*Y*100 + 0.40*(PW**(0.40 - 1))*(PZ**0.60)*(X**(1 - B))*100;
INCOME.. CONS =E= PZ*ENDOWS + PW*ENDOWL;

MODEL M61 / DX.PX, DY.PY, DW.PU, PRICEX.X, PRICEY.Y, PRICEW.W, SKLAB.PZ, UNLAB.PW, INCOME.CONS /;

CONS.L = 200;
OPTION MCP=MILES;
$OFFSYMLIST OFFSYMXREF OFFUELLIST OFFUELXREF
X.L = 1; Y.L = 1; W.L = 1;
PX.L = 1; PY.L = 1; PZ.L = 1; PW.L = 1; PU.L = 1;
PY.FX = 1;

SOLVE M61 USING MCP;
