$title Spatial price equilibrium of two commodities in three regions, as an MCP (after GAMS model library SPATEQU, SEQ=354)

$onText
Linear demand and supply in three regions and transport between them (Takayama and Judge, Spatial
equilibrium and quadratic programming, Journal of Farm Economics 46, 1964; Phan and Harrison, Journal of
Forestry Research 22, 2011). In the complementarity form the regional prices P clear each region's balance
of supply, imports, exports and demand, and a flow X(r,rr,c) is positive only when the price difference
equals the transport cost. The demand and supply equations are left unpaired in the model statement and
so go with the free variables Qd and Qs.

Written for sharedeq after the GAMS model library model SPATEQU (contributed by Phan Sy Hieu, 2010): its
complementarity model P2R3_MCP, the last of its four solves, as a model of its own.
$offText

Set
   c 'commodities' / Com1, Com2       /
   r 'regions'     / Reg1, Reg2, Reg3 /;

Alias (r,rr), (c,cc);

Table AlphaD(r,c) 'demand constants'
          Com1  Com2
   Reg1    200   300
   Reg2    100   200
   Reg3    160   250;

Table BetaD(r,c,cc) 'demand price coefficients'
               Com1  Com2
   Reg1.Com1    -10     1
   Reg1.Com2      1   -10
   Reg2.Com1     -5     1
   Reg2.Com2      1   -20
   Reg3.Com1     -8     1
   Reg3.Com2      1   -10;

Table AlphaS(r,c) 'supply constants'
           Com1  Com2
   Reg1     -50   -60
   Reg2     -50   -60
   Reg3     -50   -60;

Table BetaS(r,c,cc) 'supply price coefficients'
               Com1  Com2
   Reg1.Com1    10    0.5
   Reg1.Com2    0.5   15
   Reg2.Com1    20    0.5
   Reg2.Com2    0.5   25
   Reg3.Com1    10    0.5
   Reg3.Com2    0.5   15 ;

Table TCost(r,rr,c) 'transport cost'
               Com1  Com2
   Reg1.Reg1      0     0
   Reg1.Reg2      2     3
   Reg1.Reg3      2     3
   Reg2.Reg1      2     3
   Reg2.Reg2      0     0
   Reg2.Reg3      1     2
   Reg3.Reg1      2     3
   Reg3.Reg2      1     2
   Reg3.Reg3      0     0;

Variable
   Qd(r,c)    'demand'
   Qs(r,c)    'supply'
   X(r,rr,c)  'shipments from r to rr'
   P(r,c)     'price';

Positive Variable X, P;

Equation
   DEM(r,c)         'demand functions'
   SUP(r,c)         'supply functions'
   IN_OUT(r,c)      'regional balance'
   DOM_TRAD(r,rr,c) 'no profitable arbitrage';

DEM(r,c)..    AlphaD(r,c) + sum(cc, BetaD(r,c,cc)*P(r,c)) =e= Qd(r,c);
SUP(r,c)..    AlphaS(r,c) + sum(cc, BetaS(r,c,cc)*P(r,c)) =e= Qs(r,c);
IN_OUT(r,c).. Qs(r,c) + sum(rr, X(rr,r,c) - X(r,rr,c)) =e= Qd(r,c);
DOM_TRAD(r,rr,c).. P(r,c) + TCost(r,rr,c) =g= P(rr,c);

Model P2R3_MCP / DEM, SUP, IN_OUT.P, DOM_TRAD.X /;

X.fx(r,r,c) = 0;

solve P2R3_MCP using mcp;
