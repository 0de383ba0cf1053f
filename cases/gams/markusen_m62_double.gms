$TITLE Large-group monopolistic competition, economy doubled (after Markusen's M62-MCP)
$ONTEXT
J. R. Markusen's teaching model M62 (MCP version): Dixit-Stiglitz varieties of X with elasticity EP,
free entry (N firms, fixed cost FC), a CES price index E, Y competitive. Benchmark:

                 XC     X      N      Y      W    |  CONS  ENTR
        PX            100                  -100   |
        CX      100  -100                         |
        PY                          100    -100   |
        PF                   20                   |          -20
        PU                                  200   |  -200
        PW      -32          -8     -60           |   100
        PZ      -48         -12     -40           |   100
        MK      -20                               |           20

Written for sharedeq after examples/Markusen_Examples/Chapter_06/M62-MCP.gms of MPSGE.jl (its second
solve, the economy doubled: ENDOWS = ENDOWL = 200).
$OFFTEXT

PARAMETERS
   EP     'elasticity of substitution among varieties'
   FC     'fixed cost'
   ENDOWS 'skilled labor endowment'
   ENDOWL 'unskilled labor endowment';
EP = 5;
FC = 20;
ENDOWS = 200;
ENDOWL = 200;

POSITIVE VARIABLES X, Y, W, N, E, PX, PY, PZ, PW, PU, CONS;

EQUATIONS
   ZEROP  'free entry in X'
   PRICEY 'zero profit for Y'
   PRICEW 'zero profit for W'
   PRICEX 'marginal revenue = marginal cost in X'
   INDEX  'price index of the X varieties'
   DX     'market for X'
   DY     'market for Y'
   DW     'market for welfare'
   SKLAB  'skilled labor market'
   UNLAB  'unskilled labor market'
   INCOME 'national income';

DX..     X*80 =E= PX**(-EP)*(E**(EP - 1))*CONS/2;
DY..     Y*100 =E= CONS/(2*PY);
DW..     200*W =E= (1.25**0.5)*CONS/PU;
ZEROP..  FC*(EP - 1) =G= X*80;
PRICEX.. (PW**0.4)*(PZ**0.6) =G= PX*(1 - 1/EP);
PRICEY.. (PW**0.60)*(PZ**0.40) =G= PY;
PRICEW.. (E**0.5)*(PY**0.5) =G= PU;
INDEX..  E =E= (N*PX**(1 - EP))**(1/(1 - EP));
INCOME.. CONS =E= PZ*ENDOWS + PW*ENDOWL;
SKLAB..  ENDOWS =E= 0.40*(PW**0.60)*(PZ**(0.40 - 1))*Y*100
                  + 0.6*(PW**0.4)*(PZ**(0.6 - 1))*N*X*80
                  + 0.6*(PW**0.4)*(PZ**(0.6 - 1))*N*FC;
UNLAB..  ENDOWL =E= 0.60*(PW**(0.60 - 1))*(PZ**0.40)*Y*100
                  + 0.4*(PW**(0.4 - 1))*(PZ**0.6)*N*X*80
                  + 0.4*(PW**(0.4 - 1))*(PZ**0.6)*N*FC;

MODEL M62 / PRICEX.X, PRICEY.Y, PRICEW.W, ZEROP.N, DX.PX, DY.PY, DW.PU, SKLAB.PZ, UNLAB.PW, INDEX.E,
            INCOME.CONS /;

E.L = 1.25; CONS.L = 200;
OPTION MCP=MILES;
$OFFSYMLIST OFFSYMXREF OFFUELLIST OFFUELXREF
X.L = 1; Y.L = 1; N.L = 1; W.L = 1;
PX.L = 1.25; PY.L = 1; PZ.L = 1; PW.L = 1; PU.L = 1.25**0.5;
PY.FX = 1;

SOLVE M62 USING MCP;
