$TITLE Closed economy monopoly with increasing returns (after Markusen's M52-MCP)
$ONTEXT
J. R. Markusen's teaching model M52 (MCP version): the monopolist in X pays fixed costs (12 units of
skilled and 8 of unskilled labor, FCOST = 1) and prices at a markup over marginal cost; its profit net of
fixed costs goes to the consumer. Benchmark:

                 X      N      Y      W    |  CONS
        PX     100                  -100   |
        PY                   100    -100   |
        PF             20                  |   -20
        PU                           200   |  -200
        PW     -32     -8    -60           |   100
        PZ     -48    -12    -40           |   100
        MK     -20                         |    20

Written for sharedeq after examples/Markusen_Examples/Chapter_05/M52-MCP.gms of MPSGE.jl (first solve).
$OFFTEXT

PARAMETERS
   A     'scale of the welfare function'
   SIGMA 'elasticity of substitution'
   ENDOW 'endowment scale'
   FCOST 'fixed cost scale';
SIGMA = 9;
ENDOW = 1;
FCOST = 1;
A = 0.5**(1/(1 - SIGMA));

POSITIVE VARIABLES X, Y, W, PX, PY, PU, PZ, PW, CONS, ENTRE, SHAREX, MARKUP;

EQUATIONS DX, DY, DW, PRICEX, PRICEY, PRICEW, SKLAB, UNLAB, ICONS, SHX, MK;

PRICEX.. (PW**0.40)*(PZ**0.60) =G= PX*(1 - MARKUP);
PRICEY.. (PW**0.60)*(PZ**0.40) =G= PY;
PRICEW.. A*((PX/1.25)**(1 - SIGMA) + PY**(1 - SIGMA))**(1/(1 - SIGMA)) =G= PU;
DX..     X*80 =E= A*(PX/1.25)**(-SIGMA)*((PX/1.25)**(1 - SIGMA) + PY**(1 - SIGMA))**(SIGMA/(1 - SIGMA))
                  *W*200/1.25;
DY..     Y*100 =E= A*PY**(-SIGMA)*((PX/1.25)**(1 - SIGMA) + PY**(1 - SIGMA))**(SIGMA/(1 - SIGMA))*W*200;
DW..     W*200 =E= CONS/PU;
SKLAB..  100*ENDOW =E= 0.40*(PW**0.60)*(PZ**(0.40 - 1))*Y*100 + 0.60*(PW**0.40)*(PZ**(0.60 - 1))*X*80
                     + 12*FCOST;
UNLAB..  100*ENDOW =E= 0.60*(PW**(0.60 - 1))*(PZ**0.40)*Y*100 + 0.40*(PW**(0.40 - 1))*(PZ**0.60)*X*80
                     + 8*FCOST;
ICONS..  CONS =E= PZ*100*ENDOW + PW*100*ENDOW + MARKUP*PX*X*80 - PZ*12*FCOST - PW*8*FCOST;
SHX..    SHAREX =E= 80*PX*X/(80*PX*X + 100*PY*Y);
MK..     MARKUP =E= 1/(SIGMA - (SIGMA - 1)*SHAREX);

MODEL M52 / DX.PX, DY.PY, DW.PU, PRICEX.X, PRICEY.Y, PRICEW.W, SKLAB.PZ, UNLAB.PW, ICONS.CONS,
            SHX.SHAREX, MK.MARKUP /;

OPTION MCP=MILES;
$OFFSYMLIST OFFSYMXREF OFFUELLIST OFFUELXREF
X.L = 1; Y.L = 1; W.L = 1;
PX.L = 1.25; PY.L = 1; PZ.L = 1; PW.L = 1; PU.L = 1;
CONS.L = 180; ENTRE.L = 20; SHAREX.L = 0.5; MARKUP.L = 0.20;
PY.FX = 1;

SOLVE M52 USING MCP;
