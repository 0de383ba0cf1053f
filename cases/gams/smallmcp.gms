$title Two goods, two factors, one consumer (after Markusen's SMALLMODEL, MCP version)
$onText
The smallest general equilibrium model of J. R. Markusen's MPSGE teaching examples, written as an MCP:
zero profit for W, X, Y, market clearing for L, K, X, Y, W and the consumer's income. Benchmark social
accounting matrix (activity levels 1 are X = Y = 100, W = 200):

             X      Y      W      I
   PX      100           -100
   PY             100    -100
   PL      -25    -75            100
   PK      -75    -25            100
   PW                     200   -200

With no tax (TR = 0) and no transport cost (TC = 0) the benchmark is the equilibrium.

Written for sharedeq after examples/Compare_Julia_to_GAMS/small/smallmcp.gms of MPSGE.jl.
$offText

Parameter
   TR   'ad valorem tax on the inputs of X'
   TC   'iceberg transport cost on X'
   LBAR 'labor endowment'
   KBAR 'capital endowment';

LBAR = 100; KBAR = 100; TR = 0; TC = 0;

Nonnegative Variable
   W  'welfare'
   X  'output of X'
   Y  'output of Y'
   PL 'wage'
   PK 'rental rate'
   PX 'price of X'
   PY 'price of Y'
   PW 'price of welfare'
   I  'income';

Equation
   PRF_W, PRF_X, PRF_Y, MKT_L, MKT_K, MKT_X, MKT_Y, MKT_W, INC_I;

PRF_W.. PX**0.5*PY**0.5 =G= PW;
PRF_X.. PL**0.25*PK**0.75*(1 + TC)*(1 + TR) =G= PX;
PRF_Y.. PL**0.75*PK**0.25 =G= PY;

MKT_L.. LBAR =G= 0.25*(PK/PL)**0.75*X + 0.75*(PK/PL)**0.25*Y;
MKT_K.. KBAR =G= 0.75*(PL/PK)**0.25*X + 0.25*(PL/PK)**0.75*Y;
MKT_X.. X/(1 + TC) =G= 0.5*W*PW/PX;
MKT_Y.. Y =G= 0.5*W*PW/PY;
MKT_W.. W =G= I/PW;

INC_I.. I =E= LBAR*PL + KBAR*PK + TR*(PL**0.25*PK**0.75)*X;

Model SMALLMCP / PRF_W.W, PRF_X.X, PRF_Y.Y, MKT_L.PL, MKT_K.PK, MKT_X.PX, MKT_Y.PY, MKT_W.PW, INC_I.I /;

* the price of welfare is the numeraire
PW.FX = 1;

X.L = 100; Y.L = 100; W.L = 200; I.L = 200;
PX.L = 1; PY.L = 1; PK.L = 1; PL.L = 1; PW.L = 1;

SOLVE SMALLMCP USING MCP;
